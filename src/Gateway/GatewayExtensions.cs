using Metering.Gateway.Audit;
using Metering.Gateway.Billing;
using Metering.Gateway.Catalog;
using Metering.Gateway.Events;
using Metering.Gateway.Infrastructure;
using Metering.Gateway.Operations;
using Metering.Gateway.Quotas;
using Metering.Gateway.Tenants;
using Metering.Gateway.Usage;
using Metering.Silo.Hosting;
using Microsoft.AspNetCore.Diagnostics;

namespace Metering.Gateway;

public static class GatewayExtensions
{
    /// <summary>The gateway with its embedded silo.</summary>
    public static WebApplicationBuilder AddMeteringGateway(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = JsonBody.MaxBodyBytes + 1024);
        builder.Services.AddMeteringSilo(builder.Configuration);
        builder.Services.AddHostedService<BootstrapService>();
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddSingleton<EventIngestor>();
        return builder;
    }

    public static WebApplication MapMeteringApi(this WebApplication app)
    {
        app.UseExceptionHandler(error => error.Run(async context =>
        {
            Exception? exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            ApiError problem = exception is BadHttpRequestException { StatusCode: 413 }
                ? new ApiError(413, "PAYLOAD_TOO_LARGE", "The body is larger than 5 MiB.")
                : exception is BadHttpRequestException bad
                    ? new ApiError(bad.StatusCode, "INVALID_REQUEST", bad.Message)
                    : new ApiError(500, "INTERNAL", "An unexpected error occurred; nothing was changed by this request unless it says otherwise.");
            await problem.ToResult().ExecuteAsync(context);
        }));
        app.MapTenantsApi();
        app.MapCatalogApi();
        app.MapEventsApi();
        app.MapUsageApi();
        app.MapQuotasApi();
        app.MapAuditApi();
        app.MapPricingApi();
        app.MapInvoicesApi();
        app.MapOperationsApi();
        return app;
    }
}
