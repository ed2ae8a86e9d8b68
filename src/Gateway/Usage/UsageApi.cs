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

    private static async Task<Results<Ok<UsageJson>, ApiProblem>> GetUsage(string id, HttpContext http, CatalogStore catalog, UsageReader reader,
        EventUsageReader events, CancellationToken ct)
    {
        string tenant = http.Tenant();
        Subscription? subscription = await catalog.GetSubscriptionAsync(tenant, id, ct);
        if (subscription is null)
        {
            return ApiError.NotFound($"Subscription '{id}'").ToProblem();
        }

        IQueryCollection q = http.Request.Query;
        string? meterCode = q["meter"];
        if (string.IsNullOrEmpty(meterCode))
        {
            return ApiError.Invalid("meter", "'meter' is required.").ToProblem();
        }

        Meter? meter = (await catalog.GetMetersAsync(tenant, ct)).Find(meterCode);
        if (meter is null)
        {
            return ApiError.NotFound($"Meter '{meterCode}'").ToProblem();
        }

        BillingPeriod period = subscription.PeriodAt(catalog.Now);
        DateTimeOffset from = period.Start, to = period.End;
        if (q.ContainsKey("from") && !Wire.TryParseTime(q["from"], out from))
        {
            return ApiError.Invalid("from", "'from' must be an RFC 3339 timestamp.").ToProblem();
        }

        if (q.ContainsKey("to") && !Wire.TryParseTime(q["to"], out to))
        {
            return ApiError.Invalid("to", "'to' must be an RFC 3339 timestamp.").ToProblem();
        }

        // Periods may start off the hour (a subscription started at 10:30): the period's range is its hours, as invoices bill it.
        if (!q.ContainsKey("from"))
        {
            from = period.UsageHours.From;
        }

        if (!q.ContainsKey("to"))
        {
            to = period.UsageHours.To;
        }

        if (UsageCalculator.MinuteOf(from) != from || UsageCalculator.MinuteOf(to) != to)
        {
            return ApiError.Invalid("from", "'from' and 'to' must fall on whole minutes.").ToProblem();
        }

        if (from >= to)
        {
            return ApiError.Invalid("to", "'to' must be after 'from'.").ToProblem();
        }

        UsageWindow window = UsageWindow.None;
        string? windowText = q["window"];
        if (windowText is not null && !TryParseWindow(windowText, out window))
        {
            return ApiError.Invalid("window", "'window' must be minute, hour, day or none.").ToProblem();
        }

        string[] groupBy = q["group_by"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToArray();
        string? unknown = groupBy.FirstOrDefault(g => !meter.GroupBy.Contains(g));
        if (unknown is not null)
        {
            return ApiError.Invalid("group_by", $"'{unknown}' is not a group_by dimension of meter '{meter.Code}'.").ToProblem();
        }

        var query = new UsageQuery(meter.Code, from.ToUniversalTime(), to.ToUniversalTime(), window, groupBy);
        // Usage is kept per hour: minute windows and ranges off the hour are read from the event log, exactly.
        bool hourly = window != UsageWindow.Minute && UsageCalculator.HourOf(from) == from && UsageCalculator.HourOf(to) == to;
        UsageResult result = hourly
            ? await reader.ReadAsync(tenant, subscription.Id, meter, query, ct)
            : await events.UsageAsync(tenant, subscription.Id, meter, query, ct);
        return TypedResults.Ok(UsageJson.Of(result));
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
        IReadOnlyList<PriceEntry> inForce = await prices.PricesInForceAsync(tenant, subscription.PlanCode, catalog.Now, ct);
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

    private static bool TryParseWindow(string text, out UsageWindow window)
    {
        (bool ok, window) = text switch
        {
            "minute" => (true, UsageWindow.Minute),
            "hour" => (true, UsageWindow.Hour),
            "day" => (true, UsageWindow.Day),
            "none" => (true, UsageWindow.None),
            _ => (false, UsageWindow.None),
        };
        return ok;
    }
}
