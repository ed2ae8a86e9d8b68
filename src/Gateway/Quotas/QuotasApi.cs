using Metering.Gateway.Infrastructure;
using Metering.Gateway.Operations;
using Metering.Grains;
using Metering.Grains.Catalog;
using Metering.Grains.Quotas;
using Metering.Runtime;
using Metering.Silo.ApiKeys;
using Metering.Silo.Catalog;

namespace Metering.Gateway.Quotas;

/// <summary>Quotas and credits: definitions per subscription and meter, the check and the inline consume.</summary>
public static class QuotasApi
{
    public static IEndpointRouteBuilder MapQuotasApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder subscriptionQuotas = app.MapGroup("/v1/subscriptions/{id}/quotas").RequireApiKey();
        subscriptionQuotas.MapPut("/{meter}", PutQuota).RequireScope(ApiScopes.Manage);
        subscriptionQuotas.MapGet("/{meter}", GetQuota).RequireScope(ApiScopes.Read);
        subscriptionQuotas.MapPatch("/{meter}", AdjustCredits).RequireScope(ApiScopes.Manage);
        RouteGroupBuilder quotas = app.MapGroup("/v1/quotas").RequireApiKey();
        quotas.MapGet("/check", Check).RequireScope(ApiScopes.Read);
        // Consuming records usage: the call an authorization service makes inline, with the key it ingests with.
        quotas.MapPost("/consume", Consume).RequireScope(ApiScopes.Ingest);
        return app;
    }

    private static async Task<IResult> PutQuota(string id, string meter, HttpContext http, CatalogStore catalog, IGrainFactory grains, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        decimal? limit = body.Decimal("limit", true, min: 0);
        string? periodText = body.String("period", true, 32);
        string? overflowText = body.String("overflow", false, 32);
        JsonBody? refillBody = body.Object("refill", false);
        QuotaPeriod period = QuotaPeriod.None;
        QuotaOverflow overflow = QuotaOverflow.Block;
        if (periodText is not null && !WireName.TryParseWire(periodText, out period))
        {
            body.Fail("period", "'period' must be minute, hour, day, month, billing_period or none.");
        }

        if (overflowText is not null && !WireName.TryParseWire(overflowText, out overflow))
        {
            body.Fail("overflow", "'overflow' must be block or allow_overage.");
        }

        QuotaRefill? refill = null;
        if (refillBody is not null)
        {
            decimal? amount = refillBody.Decimal("amount", true, min: 0);
            RefillInterval interval = RefillInterval.Day;
            string? intervalText = refillBody.String("interval", true, 16, v => WireName.TryParseWire(v, out interval), "'interval' must be day or month.");
            if (periodText is not null && period != QuotaPeriod.None)
            {
                body.Fail("refill", "'refill' applies to credits only (period none).");
            }

            refill = amount is null || intervalText is null ? null : new QuotaRefill(amount.Value, interval);
        }

        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        (ApiError? missing, _) = await FindAsync(http.Tenant(), id, meter, catalog, ct);
        if (missing is not null)
        {
            return missing.ToResult();
        }

        QuotaView view = await grains.GetGrain<IQuotaGrain>(QuotaKey.Of(http.Tenant(), id, meter)).SetAsync(new QuotaDefinition(limit!.Value, period, overflow, refill));
        return TypedResults.Json(QuotaJson(id, view), Wire.Compact);
    }

    private static async Task<IResult> GetQuota(string id, string meter, HttpContext http, CatalogStore catalog, IGrainFactory grains, CancellationToken ct)
    {
        (ApiError? missing, _) = await FindAsync(http.Tenant(), id, meter, catalog, ct);
        if (missing is not null)
        {
            return missing.ToResult();
        }

        QuotaView? view = await grains.GetGrain<IQuotaGrain>(QuotaKey.Of(http.Tenant(), id, meter)).CheckAsync(0);
        return view is null ? NoQuota(id, meter).ToResult() : TypedResults.Json(QuotaJson(id, view), Wire.Compact);
    }

    private static async Task<IResult> AdjustCredits(string id, string meter, HttpContext http, CatalogStore catalog, IGrainFactory grains, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        var adjustment = new CreditAdjustment(body.Decimal("set", false, min: 0), body.Decimal("increment", false, min: 0), body.Decimal("decrement", false, min: 0));
        int given = new[] { adjustment.Set, adjustment.Increment, adjustment.Decrement }.Count(v => v is not null);
        if (!body.HasErrors && given != 1)
        {
            body.Fail("set", "Give exactly one of 'set', 'increment' or 'decrement'.");
        }

        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        (ApiError? missing, _) = await FindAsync(http.Tenant(), id, meter, catalog, ct);
        if (missing is not null)
        {
            return missing.ToResult();
        }

        QuotaView? view = await grains.GetGrain<IQuotaGrain>(QuotaKey.Of(http.Tenant(), id, meter)).AdjustCreditsAsync(adjustment);
        if (view is null)
        {
            return NoQuota(id, meter).ToResult();
        }

        return view.Definition.Period == QuotaPeriod.None
            ? TypedResults.Json(QuotaJson(id, view), Wire.Compact)
            : ApiError.Invalid("period", $"The quota on '{meter}' has period {view.Definition.Period.ToWire()}; only credits (period none) are adjusted.").ToResult();
    }

    private static async Task<IResult> Check(HttpContext http, CatalogStore catalog, IGrainFactory grains, GatewayMetrics metrics, CancellationToken ct)
    {
        IQueryCollection q = http.Request.Query;
        string? subject = q["subject"];
        string? meter = q["meter"];
        if (string.IsNullOrEmpty(subject) || string.IsNullOrEmpty(meter))
        {
            return ApiError.Invalid(string.IsNullOrEmpty(subject) ? "subject" : "meter", "'subject' and 'meter' are required.").ToResult();
        }

        decimal amount = 1;
        if (q.ContainsKey("amount") && (!decimal.TryParse(q["amount"], System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out amount) || amount < 0))
        {
            return ApiError.Invalid("amount", "'amount' must be a decimal of at least 0.").ToResult();
        }

        string tenant = http.Tenant();
        string? subscription = await catalog.ResolveSubjectAsync(tenant, subject, ct);
        if (subscription is null)
        {
            return ApiError.UnknownSubject(subject).ToResult();
        }

        (ApiError? missing, _) = await FindAsync(tenant, subscription, meter, catalog, ct);
        if (missing is not null)
        {
            return missing.ToResult();
        }

        QuotaView? view = await grains.GetGrain<IQuotaGrain>(QuotaKey.Of(tenant, subscription, meter)).CheckAsync(amount);
        if (view is null)
        {
            return NoQuota(subscription, meter).ToResult();
        }

        metrics.CountCheck(view.Allowed);

        return TypedResults.Json(new
        {
            decision = view.Allowed ? "allow" : "deny",
            reason = view.Allowed ? null : "limit_reached",
            limit = Wire.Decimal(view.Limit),
            used = Wire.Decimal(view.Used),
            remaining = Wire.Decimal(view.Remaining),
            overage = Wire.Decimal(view.Overage),
            resets_at = Wire.Time(view.ResetsAt),
        }, Wire.Compact);
    }

    private static async Task<IResult> Consume(HttpContext http, CatalogStore catalog, IGrainFactory grains, GatewayMetrics metrics, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        string? subject = body.String("subject", true);
        string? meterCode = body.String("meter", true, 64);
        decimal amount = body.Decimal("amount", false) ?? 1;
        string idempotencyKey = body.String("idempotency_key", false) ?? "consume:" + Guid.NewGuid().ToString("N");
        if (amount <= 0)
        {
            body.Fail("amount", "'amount' must be positive.");
        }

        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        string tenant = http.Tenant();
        string? subscription = await catalog.ResolveSubjectAsync(tenant, subject!, ct);
        if (subscription is null)
        {
            return ApiError.UnknownSubject(subject!).ToResult();
        }

        (ApiError? missing, Meter? meter) = await FindAsync(tenant, subscription, meterCode!, catalog, ct);
        if (missing is not null)
        {
            return missing.ToResult();
        }

        if (!QuotaRules.CanConsume(meter!.Aggregation))
        {
            return ApiError.Invalid("meter", $"Meter '{meterCode}' aggregates by {meter.Aggregation.ToWire()}: its quota can be checked but not consumed.").ToResult();
        }

        if (meter.Aggregation == Aggregation.Count && amount != 1)
        {
            return ApiError.Invalid("amount", $"Meter '{meterCode}' counts events: the amount must be 1.").ToResult();
        }

        ConsumeResult result = await grains.GetGrain<IQuotaGrain>(QuotaKey.Of(tenant, subscription, meterCode!)).ConsumeAsync(new ConsumeRequest(subject!, amount, idempotencyKey));
        metrics.CountConsume(result.Status);
        return result.Status switch
        {
            ConsumeStatus.Allowed => TypedResults.Json(new { allowed = true, quota_remaining = Wire.Decimal(result.Remaining), overage = Wire.Decimal(result.Overage) }, Wire.Compact),
            ConsumeStatus.Denied => TypedResults.Json(new { allowed = false, quota_remaining = Wire.Decimal(result.Remaining), denial_reason = "quota_exceeded" }, Wire.Compact),
            ConsumeStatus.NotConfigured => NoQuota(subscription, meterCode!).ToResult(),
            ConsumeStatus.KeyReused => new ApiError(422, "IDEMPOTENCY_KEY_REUSED", result.Detail ?? "The idempotency key was used before for another event.").ToResult(),
            _ => new ApiError(503, "UNAVAILABLE", result.Detail ?? "Retry with the same idempotency key.").ToResult(),
        };
    }

    private static async Task<(ApiError? Error, Meter? Meter)> FindAsync(string tenant, string subscriptionId, string meterCode, CatalogStore catalog, CancellationToken ct)
    {
        if (await catalog.GetSubscriptionAsync(tenant, subscriptionId, ct) is null)
        {
            return (ApiError.NotFound($"Subscription '{subscriptionId}'"), null);
        }

        Meter? meter = (await catalog.GetMetersAsync(tenant, ct)).Find(meterCode);
        return meter is null ? (ApiError.NotFound($"Meter '{meterCode}'"), null) : (null, meter);
    }

    private static ApiError NoQuota(string subscriptionId, string meter) => ApiError.NotFound($"A quota on meter '{meter}' for subscription '{subscriptionId}'");

    internal static object QuotaJson(string subscriptionId, QuotaView view) => new
    {
        subscription_id = subscriptionId,
        meter = view.Meter,
        period = view.Definition.Period.ToWire(),
        overflow = view.Definition.Overflow.ToWire(),
        refill = view.Definition.Refill is { } refill ? new { amount = Wire.Decimal(refill.Amount), interval = refill.Interval.ToWire() } : null,
        limit = Wire.Decimal(view.Limit),
        used = Wire.Decimal(view.Used),
        remaining = Wire.Decimal(view.Remaining),
        overage = Wire.Decimal(view.Overage),
        resets_at = Wire.Time(view.ResetsAt),
    };
}
