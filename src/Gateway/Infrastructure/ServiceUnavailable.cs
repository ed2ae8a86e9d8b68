using System.Reflection;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Metering.Gateway.Infrastructure;

/// <summary>A 503 answer with a JSON body (a readiness probe says what is not ready).</summary>
public sealed class ServiceUnavailable<T>(T value) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult<T>
{
    public T Value => value;

    public int? StatusCode => StatusCodes.Status503ServiceUnavailable;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        JsonOptions options = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value;
        return httpContext.Response.WriteAsJsonAsync(value, options.SerializerOptions, contentType: null, httpContext.RequestAborted);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
        => builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status503ServiceUnavailable, typeof(T), ["application/json"]));
}
