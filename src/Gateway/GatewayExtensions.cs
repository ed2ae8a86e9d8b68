using Metering.Gateway.ApiKeys;
using Metering.Gateway.Audit;
using Metering.Gateway.Billing;
using Metering.Gateway.Catalog;
using Metering.Gateway.Dashboard;
using Metering.Gateway.Events;
using Metering.Gateway.Infrastructure;
using Metering.Gateway.Lago;
using Metering.Gateway.OpenMeter;
using Metering.Gateway.Operations;
using Metering.Gateway.Quotas;
using Metering.Gateway.RateLimits;
using Metering.Gateway.Settings;
using Metering.Gateway.Signing;
using Metering.Gateway.Tenants;
using Metering.Gateway.Usage;
using Metering.Gateway.Webhooks;
using Metering.Silo.Hosting;
using Metering.Runtime;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

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
        builder.Services.AddSingleton<TrafficSampler>();
        builder.Services.AddSingleton<ClusterPeers>();
        builder.Services.AddMeteringTracing(builder.Configuration);
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TrafficSampler>());
        builder.Services.AddSingleton<SubscriptionOverview>();
        // Typed results (Ok<T>, Created<T>) write what Wire.Json writes: snake_case; the OpenAPI document follows the same options.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = Wire.Json.PropertyNamingPolicy);
        builder.Services.AddMeteringOpenApi();
        builder.Services.AddSingleton<SignatureCheck>();
        builder.Services.AddSingleton<EventIngestor>();
        builder.Services.AddSingleton<LagoIngest>();
        builder.Services.AddSingleton<Metering.Silo.Webhooks.IResourceJson, ApiResourceJson>();
        builder.Services.AddRateLimits(builder.Configuration);
        return builder;
    }

    public static WebApplication MapMeteringApi(this WebApplication app)
    {
        app.UseRequestTiming();
        app.UseExceptionHandler(error => error.Run(async context =>
        {
            await Problem(context.Features.Get<IExceptionHandlerFeature>()?.Error).ToResult().ExecuteAsync(context);
        }));
        app.UseStatusCodePages(AnswerEmptyErrorAsync);
        app.Use(RefuseUnstorableTextAsync);
        app.MapTenantsApi();
        app.MapCatalogApi();
        app.MapCustomersApi();
        app.MapPlansApi();
        app.MapMetersApi();
        app.MapSubscriptionsApi();
        app.MapEventsApi();
        app.MapUsageApi();
        app.MapQuotasApi();
        app.MapAuditApi();
        app.MapPricingApi();
        app.MapInvoicesApi();
        app.MapSigningKeysApi();
        app.MapOperationsApi();
        app.MapDashboardApi();
        app.MapApiKeysApi();
        app.MapSettingsApi();
        app.MapOpenMeterApi();
        app.MapLagoApi();
        app.MapWebhookEndpointsApi();
        app.MapWebhookDeliveriesApi();
        app.MapSiloEndpoints();
        app.MapOpenApi(ApiDocument.Path);
        app.Lifetime.ApplicationStarted.Register(() => _ = AdvertiseAsync(app));
        return app;
    }

    /// <summary>Rate limits per API key (configuration section <c>RateLimits</c>), after the silo so that the summary of
    /// refusals is written to the audit log before the log stops.</summary>
    private static void AddRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new RateLimitOptions();
        configuration.GetSection("RateLimits").Bind(options);
        _ = options.Default;
        services.AddSingleton(options);
        services.AddSingleton<RateLimitRejections>();
        services.AddHostedService(sp => sp.GetRequiredService<RateLimitRejections>());
        services.AddSingleton<RateLimiter>();
    }

    /// <summary>The answer to an exception no handler caught. PostgreSQL out of reach is 503, like a cluster without an owner
    /// for the partition: the request may be retried, and a write with the same idempotency key is applied once.</summary>
    private static ApiError Problem(Exception? exception) => exception switch
    {
        BadHttpRequestException { StatusCode: 413 } => new ApiError(413, ApiError.Codes.PayloadTooLarge, "The body is larger than 5 MiB."),
        BadHttpRequestException bad => new ApiError(bad.StatusCode, ApiError.Codes.InvalidRequest, bad.Message),
        ClusterUnavailableException unavailable => new ApiError(503, ApiError.Codes.Unavailable, unavailable.Message + " Retry; a write with the same idempotency key is applied once."),
        Npgsql.NpgsqlException { IsTransient: true } or TimeoutException => new ApiError(503, ApiError.Codes.Unavailable, "The database cannot be reached. Retry; a write with the same idempotency key is applied once."),
        _ => new ApiError(500, ApiError.Codes.Internal, "An unexpected error occurred; nothing was changed by this request unless it says otherwise."),
    };

    /// <summary>Errors the framework answers without a body (no endpoint at this path, or not with this method) are problems
    /// with a code like every other; the silos' internal endpoints keep their bare status codes.</summary>
    private static async Task AnswerEmptyErrorAsync(StatusCodeContext context)
    {
        HttpContext http = context.HttpContext;
        if (http.Request.Path.StartsWithSegments("/internal"))
        {
            return;
        }

        ApiError? problem = http.Response.StatusCode switch
        {
            StatusCodes.Status404NotFound => ApiError.NotFound($"An endpoint at '{http.Request.Path}'"),
            StatusCodes.Status405MethodNotAllowed => new ApiError(405, ApiError.Codes.MethodNotAllowed, $"'{http.Request.Path}' does not take {http.Request.Method}."),
            _ => null,
        };
        if (problem is not null)
        {
            await problem.ToResult().ExecuteAsync(http);
        }
    }

    /// <summary>Path and query values are ids and subjects that go to PostgreSQL as text, which cannot hold U+0000: such a
    /// value is refused, named by its route parameter or query name, before any handler sends it to the database.</summary>
    private static async Task RefuseUnstorableTextAsync(HttpContext context, RequestDelegate next)
    {
        IEnumerable<(string Name, string? Value)> values = context.Request.RouteValues.Select(r => (r.Key, r.Value as string))
            .Concat(context.Request.Query.SelectMany(q => q.Value.Select(v => (q.Key, v))));
        foreach ((string name, string? value) in values)
        {
            if (value is not null && StorableText.Of(value) is { } fault)
            {
                await ApiError.Invalid(name, StorableText.Describe(name, fault)).ToResult().ExecuteAsync(context);
                return;
            }
        }

        await next(context);
    }

    /// <summary>Publishes where this silo is reached: <c>Silo:Address</c> when set, else the address the server listens on,
    /// with a wildcard host read as loopback.</summary>
    private static async Task AdvertiseAsync(WebApplication app)
    {
        Metering.Runtime.Silo silo = app.Services.GetRequiredService<Metering.Runtime.Silo>();
        string? configured = app.Configuration["Silo:Address"];
        string? address = configured is { Length: > 0 } && configured != "local"
            ? configured
            : app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null)
        {
            return;
        }

        var uri = new UriBuilder(address.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::")
        {
            uri.Host = "127.0.0.1";
        }

        try
        {
            await silo.AdvertiseAsync(uri.Uri.GetLeftPart(UriPartial.Authority));
        }
        catch (Exception ex)
        {
            app.Logger.LogError(ex, "Could not publish this silo's address");
        }
    }
}
