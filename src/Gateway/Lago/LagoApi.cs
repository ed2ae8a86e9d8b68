using System.Text.Json;
using Metering.Gateway.Events;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Catalog;
using Metering.Grains.Pricing;
using Metering.Silo.ApiKeys;
using Metering.Silo.Billing;
using Metering.Silo.Catalog;
using Metering.Silo.Events;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Metering.Gateway.Lago;

/// <summary>Lago's API under <c>/lago/api/v1</c> (OpenMeter's takes <c>/api/v1/events</c>), for clients written against
/// Lago: events one by one or in batches of up to 100 (all or nothing), and a customer's current usage priced by the plan's
/// price book. The same Bearer keys and scopes as <c>/v1</c>; errors in Lago's shape.</summary>
public static class LagoApi
{
    public const int MaxBatchEvents = 100;

    public static IEndpointRouteBuilder MapLagoApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/lago/api/v1").RequireApiKey();
        api.MapPost("/events", CreateEvent).RequireScope(ApiScopes.Ingest);
        api.MapPost("/events/batch", CreateBatch).RequireScope(ApiScopes.Ingest);
        api.MapGet("/customers/{externalCustomerId}/current_usage", CurrentUsage).RequireScope(ApiScopes.Read);
        return app;
    }

    private static async Task<Results<Ok<LagoEventEnvelope>, UnprocessableEntity<LagoError>, NotFound<LagoError>, ApiProblem>> CreateEvent(
        JsonRequest<LagoEventBody> request, HttpContext http, LagoIngest ingest, CancellationToken ct)
    {
        if (!request.TryGet(out LagoEventBody? body, out ApiProblem? problem))
        {
            return problem;
        }

        JsonElement item = JsonBody.TryGetMember(body.Root, "event", out JsonElement e) ? e : default;
        (IReadOnlyList<LagoEventJson>? events, LagoError? error) = await ingest.SubmitAsync(http.Tenant(), [item], single: true, ct);
        return error switch
        {
            null => TypedResults.Ok(new LagoEventEnvelope(events![0])),
            { Status: 404 } => TypedResults.NotFound(error),
            _ => TypedResults.UnprocessableEntity(error),
        };
    }

    private static async Task<Results<Ok<LagoEventsEnvelope>, UnprocessableEntity<LagoError>, ApiProblem>> CreateBatch(JsonRequest<LagoBatchBody> request,
        HttpContext http, LagoIngest ingest, CancellationToken ct)
    {
        if (!request.TryGet(out LagoBatchBody? body, out ApiProblem? problem))
        {
            return problem;
        }

        if (!JsonBody.TryGetMember(body.Root, "events", out JsonElement array) || array.ValueKind != JsonValueKind.Array)
        {
            return TypedResults.UnprocessableEntity(LagoError.Validation(new Dictionary<string, object> { ["events"] = new[] { LagoError.Details.ValueIsMandatory } }));
        }

        if (array.GetArrayLength() is 0 or > MaxBatchEvents)
        {
            return TypedResults.UnprocessableEntity(LagoError.Validation(new Dictionary<string, object> { ["events"] = new[] { LagoError.Details.TooManyEvents } }));
        }

        (IReadOnlyList<LagoEventJson>? events, LagoError? error) = await ingest.SubmitAsync(http.Tenant(), [.. array.EnumerateArray()], single: false, ct);
        return error is null ? TypedResults.Ok(new LagoEventsEnvelope(events!)) : TypedResults.UnprocessableEntity(error);
    }

    /// <summary>The subscription's current period priced as its draft invoice would be, without the plan's fixed fee: the
    /// usage charges, their total, and tax at the customer's rate (each amount rounded as invoices round).</summary>
    private static async Task<Results<Ok<CustomerUsageJson>, UnprocessableEntity<LagoError>, NotFound<LagoError>>> CurrentUsage(string externalCustomerId,
        [FromQuery(Name = "external_subscription_id")] string? subscriptionId, HttpContext http, CatalogStore catalog, InvoiceService invoices, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(subscriptionId))
        {
            return TypedResults.UnprocessableEntity(LagoError.Validation(new Dictionary<string, object> { ["external_subscription_id"] = new[] { LagoError.Details.ValueIsMandatory } }));
        }

        string tenant = http.Tenant();
        if (await catalog.GetCustomerAsync(tenant, externalCustomerId, ct) is null)
        {
            return TypedResults.NotFound(LagoError.NotFound(LagoError.Codes.CustomerNotFound));
        }

        Subscription? subscription = await catalog.GetSubscriptionAsync(tenant, subscriptionId, ct);
        if (subscription is null || subscription.CustomerId != externalCustomerId)
        {
            return TypedResults.NotFound(LagoError.NotFound(LagoError.Codes.SubscriptionNotFound));
        }

        PeriodUsage usage = await invoices.CurrentUsageAsync(tenant, subscription, ct);
        return TypedResults.Ok(new CustomerUsageJson(UsageObject(usage, await catalog.GetMetersAsync(tenant, ct))));
    }

    private static CustomerUsageObjectJson UsageObject(PeriodUsage usage, TenantMeters meters)
    {
        string currency = usage.Plan.Currency;
        InvoiceTotals totals = InvoiceCalculator.Build(usage.Plan.Code, 0, currency, usage.Customer.TaxRate, usage.Usages);
        var charges = totals.Lines.Select(line =>
        {
            MeterUsage meter = usage.Usages.First(u => u.Meter == line.Meter);
            return new ChargeUsageJson(Wire.Decimal(line.Quantity), meter.Events, Cents(line.Amount, currency), currency,
                new BillableMetricJson(meter.Meter, meter.Meter, meter.Meter, AggregationType(meters.Find(meter.Meter))), new ChargeJson(meter.Meter, ChargeModel(meter.Price.Model)));
        }).ToList();
        return new CustomerUsageObjectJson(Wire.Time(usage.Period.Start), Wire.Time(usage.Period.End),
            usage.Period.End.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), null, currency,
            Cents(totals.Subtotal, currency), Cents(totals.Tax, currency), Cents(totals.Total, currency), charges);
    }

    /// <summary>An amount already rounded to the currency's minor unit, in that unit.</summary>
    private static long Cents(decimal amount, string currency)
    {
        decimal factor = 1;
        for (int i = 0; i < Money.MinorUnits(currency); i++)
        {
            factor *= 10;
        }

        return (long)(amount * factor);
    }

    /// <summary>Lago's name of an aggregation: <c>sum_agg</c>, <c>count_agg</c>, <c>unique_count_agg</c>, ...</summary>
    private static string AggregationType(Meter? meter) => (meter?.Aggregation ?? Aggregation.Sum).ToWire() + "_agg";

    private static string ChargeModel(Grains.Pricing.ChargeModel model) => model == Grains.Pricing.ChargeModel.PerUnit ? "standard" : model.ToWire();
}
