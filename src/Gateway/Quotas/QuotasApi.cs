using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Gateway.Operations;
using Metering.Grains;
using Metering.Grains.Catalog;
using Metering.Grains.Quotas;
using Metering.Runtime;
using Metering.Silo.ApiKeys;
using Metering.Silo.Catalog;
using Metering.Silo.Listing;
using Metering.Silo.Quotas;
using Metering.Gateway.Events;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Quotas;

/// <summary>Quotas and credits: definitions per subscription and meter, the check and the inline consume.</summary>
public static class QuotasApi
{
    public static IEndpointRouteBuilder MapQuotasApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder subscriptionQuotas = app.MapGroup("/v1/subscriptions/{id}/quotas").RequireApiKey();
        subscriptionQuotas.MapGet("/", ListOfSubscription).RequireScope(ApiScopes.Read);
        subscriptionQuotas.MapPut("/{meter}", PutQuota).RequireScope(ApiScopes.Manage);
        subscriptionQuotas.MapGet("/{meter}", GetQuota).RequireScope(ApiScopes.Read);
        subscriptionQuotas.MapPatch("/{meter}", AdjustCredits).RequireScope(ApiScopes.Manage);
        RouteGroupBuilder quotas = app.MapGroup("/v1/quotas").RequireApiKey();
        quotas.MapGet("/", List).RequireScope(ApiScopes.Read);
        quotas.MapGet("/check", Check).RequireScope(ApiScopes.Read);
        // Consuming records usage: the call an authorization service makes inline, with the key it ingests with.
        quotas.MapPost("/consume", Consume).RequireScope(ApiScopes.Ingest);
        return app;
    }

    private static async Task<Results<Ok<QuotaJson>, ApiProblem>> PutQuota(string id, string meter, JsonRequest<PutQuotaRequest> request, HttpContext http,
        CatalogStore catalog, IGrainFactory grains, CancellationToken ct)
    {
        if (!request.TryGet(out PutQuotaRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        (ApiError? missing, _) = await FindAsync(http.Tenant(), id, meter, catalog, ct);
        if (missing is not null)
        {
            return missing.ToProblem();
        }

        QuotaView view = await grains.GetGrain<IQuotaGrain>(QuotaKey.Of(http.Tenant(), id, meter)).SetAsync(r.Definition);
        return TypedResults.Ok(QuotaJson.Of(id, view));
    }

    private static async Task<Results<Ok<QuotaJson>, ApiProblem>> GetQuota(string id, string meter, HttpContext http, CatalogStore catalog, IGrainFactory grains, CancellationToken ct)
    {
        (ApiError? missing, _) = await FindAsync(http.Tenant(), id, meter, catalog, ct);
        if (missing is not null)
        {
            return missing.ToProblem();
        }

        QuotaView? view = await grains.GetGrain<IQuotaGrain>(QuotaKey.Of(http.Tenant(), id, meter)).CheckAsync(0);
        return view is null ? NoQuota(id, meter).ToProblem() : TypedResults.Ok(QuotaJson.Of(id, view));
    }

    /// <summary><c>GET /v1/quotas?subscription_id=</c>: the tenant's quotas with their current readings, by subscription and meter.</summary>
    private static async Task<Results<Ok<PageJson<QuotaJson>>, ApiProblem>> List([AsParameters] PageQuery query, [FromQuery(Name = "subscription_id")] string? subscriptionId,
        HttpContext http, PostgresQuotaStore store, IGrainFactory grains, CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        if (page is null)
        {
            return error!.ToProblem();
        }

        string tenant = http.Tenant();
        Page<QuotaEntry> entries = await store.ListAsync(tenant, string.IsNullOrEmpty(subscriptionId) ? null : subscriptionId, page, ct);
        QuotaView?[] views = await Task.WhenAll(entries.Data.Select(q => grains.GetGrain<IQuotaGrain>(QuotaKey.Of(tenant, q.SubscriptionId, q.MeterCode)).CheckAsync(0)));
        List<QuotaJson> data = [.. entries.Data.Select((q, i) => views[i] is { } view ? QuotaJson.Of(q.SubscriptionId, view) : null).OfType<QuotaJson>()];
        return TypedResults.Ok(new PageJson<QuotaJson>(data, entries.HasMore, entries.NextCursor));
    }

    private static async Task<Results<Ok<PageJson<QuotaJson>>, ApiProblem>> ListOfSubscription(string id, [AsParameters] PageQuery query, HttpContext http,
        CatalogStore catalog, PostgresQuotaStore store, IGrainFactory grains, CancellationToken ct)
        => await catalog.GetSubscriptionAsync(http.Tenant(), id, ct) is null
            ? ApiError.NotFound($"Subscription '{id}'").ToProblem()
            : await List(query, id, http, store, grains, ct);

    private static async Task<Results<Ok<QuotaJson>, ApiProblem>> AdjustCredits(string id, string meter, JsonRequest<AdjustCreditsRequest> request, HttpContext http,
        CatalogStore catalog, IGrainFactory grains, CancellationToken ct)
    {
        if (!request.TryGet(out AdjustCreditsRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        (ApiError? missing, _) = await FindAsync(http.Tenant(), id, meter, catalog, ct);
        if (missing is not null)
        {
            return missing.ToProblem();
        }

        QuotaView? view = await grains.GetGrain<IQuotaGrain>(QuotaKey.Of(http.Tenant(), id, meter)).AdjustCreditsAsync(r.Adjustment);
        if (view is null)
        {
            return NoQuota(id, meter).ToProblem();
        }

        return view.Definition.Period == QuotaPeriod.None
            ? TypedResults.Ok(QuotaJson.Of(id, view))
            : ApiError.Invalid("period", $"The quota on '{meter}' has period {view.Definition.Period.ToWire()}; only credits (period none) are adjusted.").ToProblem();
    }

    private static async Task<Results<Ok<QuotaCheckJson>, ApiProblem>> Check([FromQuery(Name = "subject")] string? subject, [FromQuery(Name = "meter")] string? meter,
        [FromQuery(Name = "amount")] string? amountText, HttpContext http, CatalogStore catalog, IGrainFactory grains, GatewayMetrics metrics, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(subject) || string.IsNullOrEmpty(meter))
        {
            return ApiError.Invalid(string.IsNullOrEmpty(subject) ? "subject" : "meter", "'subject' and 'meter' are required.").ToProblem();
        }

        decimal amount = 1;
        if (amountText is not null && (!decimal.TryParse(amountText, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out amount) || amount < 0))
        {
            return ApiError.Invalid("amount", "'amount' must be a decimal of at least 0.").ToProblem();
        }

        string tenant = http.Tenant();
        (string? subscription, ApiError? unresolved) = await Subjects.ResolveAsync(catalog, tenant, subject, catalog.Now, false, ct);
        if (subscription is null)
        {
            return unresolved!.ToProblem();
        }

        (ApiError? missing, _) = await FindAsync(tenant, subscription, meter, catalog, ct);
        if (missing is not null)
        {
            return missing.ToProblem();
        }

        QuotaView? view = await grains.GetGrain<IQuotaGrain>(QuotaKey.Of(tenant, subscription, meter)).CheckAsync(amount);
        if (view is null)
        {
            return NoQuota(subscription, meter).ToProblem();
        }

        metrics.CountCheck(view.Allowed);
        return TypedResults.Ok(QuotaCheckJson.Of(view));
    }

    private static async Task<Results<Ok<ConsumeJson>, ApiProblem>> Consume(JsonRequest<ConsumeQuotaRequest> request, HttpContext http, CatalogStore catalog,
        IGrainFactory grains, GatewayMetrics metrics, CancellationToken ct)
    {
        if (!request.TryGet(out ConsumeQuotaRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        (string subject, string meterCode, decimal amount, string idempotencyKey) = (r.Subject, r.Meter, r.Amount, r.IdempotencyKey);
        string tenant = http.Tenant();
        (string? subscription, ApiError? unresolved) = await Subjects.ResolveAsync(catalog, tenant, subject, catalog.Now, false, ct);
        if (subscription is null)
        {
            return unresolved!.ToProblem();
        }

        (ApiError? missing, Meter? meter) = await FindAsync(tenant, subscription, meterCode, catalog, ct);
        if (missing is not null)
        {
            return missing.ToProblem();
        }

        if (!QuotaRules.CanConsume(meter!.Aggregation))
        {
            return ApiError.Invalid("meter", $"Meter '{meterCode}' aggregates by {meter.Aggregation.ToWire()}: its quota can be checked but not consumed.").ToProblem();
        }

        if (meter.Aggregation == Aggregation.Count && amount != 1)
        {
            return ApiError.Invalid("amount", $"Meter '{meterCode}' counts events: the amount must be 1.").ToProblem();
        }

        ConsumeResult result = await grains.GetGrain<IQuotaGrain>(QuotaKey.Of(tenant, subscription, meterCode)).ConsumeAsync(new ConsumeRequest(subject, amount, idempotencyKey));
        metrics.CountConsume(result.Status);
        return result.Status switch
        {
            ConsumeStatus.Allowed => TypedResults.Ok(new ConsumeJson(true, Wire.Decimal(result.Remaining), Wire.Decimal(result.Overage), null)),
            ConsumeStatus.Denied => TypedResults.Ok(new ConsumeJson(false, Wire.Decimal(result.Remaining), null, "quota_exceeded")),
            ConsumeStatus.NotConfigured => NoQuota(subscription, meterCode).ToProblem(),
            ConsumeStatus.SubscriptionEnded => ApiError.SubscriptionEnded(subscription).ToProblem(),
            ConsumeStatus.KeyReused => new ApiError(422, ApiError.Codes.IdempotencyKeyReused, result.Detail ?? "The idempotency key was used before for another event.").ToProblem(),
            _ => new ApiError(503, ApiError.Codes.Unavailable, result.Detail ?? "Retry with the same idempotency key.").ToProblem(),
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
}
