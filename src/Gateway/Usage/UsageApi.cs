using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Catalog;
using Metering.Grains.Subscriptions;
using Metering.Grains.Usage;
using Metering.Runtime;
using Metering.Silo.ApiKeys;
using Metering.Silo.Billing;
using Metering.Silo.Catalog;
using Metering.Silo.Usage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Usage;

public static class UsageApi
{
    public static IEndpointRouteBuilder MapUsageApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder group = app.MapGroup("/v1/subscriptions/{id}").RequireApiKey().RequireScope(ApiScopes.Read);
        group.MapGet("/usage", GetUsage);
        group.MapGet("/usage/current", GetCurrentUsage);
        return app;
    }

    private static async Task<Results<Ok<UsageJson>, ApiProblem>> GetUsage(string id, [AsParameters] UsageParameters parameters, HttpContext http, CatalogStore catalog,
        UsageReader reader, CancellationToken ct)
    {
        string tenant = http.Tenant();
        if (await catalog.GetSubscriptionAsync(tenant, id, ct) is not { } subscription)
        {
            return ApiError.NotFound($"Subscription '{id}'").ToProblem();
        }

        if (string.IsNullOrEmpty(parameters.Meter))
        {
            return ApiError.Invalid("meter", "'meter' is required.").ToProblem();
        }

        if ((await catalog.GetMetersAsync(tenant, ct)).Find(parameters.Meter) is not { } meter)
        {
            return ApiError.NotFound($"Meter '{parameters.Meter}'").ToProblem();
        }

        (UsageQuery? query, ApiError? error) = parameters.Resolve(meter, subscription.PeriodAt(catalog.Now));
        if (query is null)
        {
            return error!.ToProblem();
        }

        return TypedResults.Ok(UsageJson.Of(await reader.ReadAsync(tenant, subscription.Id, meter, query, ct)));
    }

    private static async Task<Results<Ok<CurrentUsageJson>, ApiProblem>> GetCurrentUsage(string id, HttpContext http, CatalogStore catalog, BillingStore prices, UsageReader reader, CancellationToken ct)
    {
        string tenant = http.Tenant();
        Subscription? subscription = await catalog.GetSubscriptionAsync(tenant, id, ct);
        if (subscription is null)
        {
            return ApiError.NotFound($"Subscription '{id}'").ToProblem();
        }

        BillingPeriod period = subscription.PeriodAt(catalog.Now);
        (DateTimeOffset from, DateTimeOffset to) = period.UsageHours;
        // The plan's meters are those its price book prices now; a plan without any price shows every meter of the tenant.
        IReadOnlyList<PriceEntry> inForce = await prices.PricesInForceAsync(tenant, subscription.PlanAt(catalog.Now), catalog.Now, ct);
        IEnumerable<Meter> planMeters = (await catalog.GetMetersAsync(tenant, ct)).Meters;
        if (inForce.Count > 0)
        {
            planMeters = planMeters.Where(m => inForce.Any(p => p.MeterCode == m.Code));
        }

        var meters = new List<UsageJson>();
        foreach (Meter meter in planMeters)
        {
            UsageResult result = await reader.ReadAsync(tenant, subscription.Id, meter, new UsageQuery(meter.Code, from, to, UsageWindow.None, []), ct);
            meters.Add(UsageJson.Of(result));
        }

        return TypedResults.Ok(new CurrentUsageJson(subscription.Id, Wire.Time(period.Start), Wire.Time(period.End), meters));
    }
}
