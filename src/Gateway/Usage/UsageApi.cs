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

    private static async Task<IResult> GetUsage(string id, HttpContext http, CatalogStore catalog, UsageReader reader, CancellationToken ct)
    {
        string tenant = http.Tenant();
        Subscription? subscription = await catalog.GetSubscriptionAsync(tenant, id, ct);
        if (subscription is null)
        {
            return ApiError.NotFound($"Subscription '{id}'").ToResult();
        }

        IQueryCollection q = http.Request.Query;
        string? meterCode = q["meter"];
        if (string.IsNullOrEmpty(meterCode))
        {
            return ApiError.Invalid("meter", "'meter' is required.").ToResult();
        }

        Meter? meter = (await catalog.GetMetersAsync(tenant, ct)).Find(meterCode);
        if (meter is null)
        {
            return ApiError.NotFound($"Meter '{meterCode}'").ToResult();
        }

        BillingPeriod period = subscription.PeriodAt(catalog.Now);
        DateTimeOffset from = period.Start, to = period.End;
        if (q.ContainsKey("from") && !Wire.TryParseTime(q["from"], out from))
        {
            return ApiError.Invalid("from", "'from' must be an RFC 3339 timestamp.").ToResult();
        }

        if (q.ContainsKey("to") && !Wire.TryParseTime(q["to"], out to))
        {
            return ApiError.Invalid("to", "'to' must be an RFC 3339 timestamp.").ToResult();
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

        if (UsageCalculator.HourOf(from) != from || UsageCalculator.HourOf(to) != to)
        {
            return ApiError.Invalid("from", "'from' and 'to' must fall on whole UTC hours (usage is kept per hour).").ToResult();
        }

        if (from >= to)
        {
            return ApiError.Invalid("to", "'to' must be after 'from'.").ToResult();
        }

        UsageWindow window = UsageWindow.None;
        string? windowText = q["window"];
        if (windowText is not null && !TryParseWindow(windowText, out window))
        {
            return ApiError.Invalid("window", "'window' must be hour, day or none.").ToResult();
        }

        string[] groupBy = q["group_by"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToArray();
        string? unknown = groupBy.FirstOrDefault(g => !meter.GroupBy.Contains(g));
        if (unknown is not null)
        {
            return ApiError.Invalid("group_by", $"'{unknown}' is not a group_by dimension of meter '{meter.Code}'.").ToResult();
        }

        UsageResult result = await reader.ReadAsync(tenant, subscription.Id, meter, new UsageQuery(meter.Code, from.ToUniversalTime(), to.ToUniversalTime(), window, groupBy), ct);
        return TypedResults.Json(UsageJson(result), Wire.Json);
    }

    private static async Task<IResult> GetCurrentUsage(string id, HttpContext http, CatalogStore catalog, BillingStore prices, UsageReader reader, CancellationToken ct)
    {
        string tenant = http.Tenant();
        Subscription? subscription = await catalog.GetSubscriptionAsync(tenant, id, ct);
        if (subscription is null)
        {
            return ApiError.NotFound($"Subscription '{id}'").ToResult();
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

        var meters = new List<object>();
        foreach (Meter meter in planMeters)
        {
            UsageResult result = await reader.ReadAsync(tenant, subscription.Id, meter, new UsageQuery(meter.Code, from, to, UsageWindow.None, []), ct);
            meters.Add(UsageJson(result));
        }

        return TypedResults.Json(new
        {
            subscription_id = subscription.Id,
            period_start = Wire.Time(period.Start),
            period_end = Wire.Time(period.End),
            meters,
        }, Wire.Json);
    }

    private static bool TryParseWindow(string text, out UsageWindow window)
    {
        (bool ok, window) = text switch
        {
            "hour" => (true, UsageWindow.Hour),
            "day" => (true, UsageWindow.Day),
            "none" => (true, UsageWindow.None),
            _ => (false, UsageWindow.None),
        };
        return ok;
    }

    internal static object UsageJson(UsageResult r) => new Dictionary<string, object?>
    {
        ["meter"] = r.Meter,
        ["aggregation"] = r.Aggregation.ToWire(),
        ["from"] = Wire.Time(r.From),
        ["to"] = Wire.Time(r.To),
        ["value"] = Wire.Decimal(r.Value),
        ["events"] = r.Events,
        ["windows"] = r.Windows.Select(w => new Dictionary<string, object?>
        {
            ["start"] = Wire.Time(w.Start),
            ["end"] = Wire.Time(w.End),
            ["value"] = Wire.Decimal(w.Value),
            ["events"] = w.Events,
            ["groups"] = Groups(w.Groups),
        }.Where(kv => kv.Key != "groups" || kv.Value is not null).ToDictionary()),
        ["groups"] = Groups(r.Groups),
    };

    private static Dictionary<string, Dictionary<string, string?>>? Groups(IReadOnlyDictionary<string, IReadOnlyDictionary<string, decimal?>>? groups)
        => groups?.ToDictionary(g => g.Key, g => g.Value.ToDictionary(v => v.Key, v => Wire.Decimal(v.Value)));
}
