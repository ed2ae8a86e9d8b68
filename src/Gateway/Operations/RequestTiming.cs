using System.Diagnostics;
using Microsoft.AspNetCore.Routing;

namespace Metering.Gateway.Operations;

/// <summary>Times every request into <see cref="GatewayMetrics.RequestDuration"/>, labelled by the route template of the
/// endpoint that answered it, so ids in paths never become labels. Requests that matched no endpoint share one label.</summary>
public static class RequestTiming
{
    public const string Unmatched = "unmatched";

    public static IApplicationBuilder UseRequestTiming(this IApplicationBuilder app)
    {
        GatewayMetrics metrics = app.ApplicationServices.GetRequiredService<GatewayMetrics>();
        return app.Use(async (context, next) =>
        {
            long start = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                RequestLabels labels = context.GetEndpoint() is RouteEndpoint endpoint
                    ? new RequestLabels("/" + endpoint.RoutePattern.RawText?.TrimStart('/'), context.Request.Method, context.Response.StatusCode)
                    : new RequestLabels(Unmatched, "other", context.Response.StatusCode);
                metrics.RequestDuration[labels]
                    .Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        });
    }
}
