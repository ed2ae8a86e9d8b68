using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Audit;
using Metering.Grains.Catalog;
using Metering.Grains.Pricing;
using Metering.Silo.ApiKeys;
using Metering.Silo.Billing;
using Metering.Silo.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Billing;

/// <summary>Charge model previews and plans' price books.</summary>
public static class PricingApi
{
    public static IEndpointRouteBuilder MapPricingApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder v1 = app.MapGroup("/v1").RequireApiKey();
        // A preview computes and stores nothing: reading.
        v1.MapPost("/pricing/preview", Preview).RequireScope(ApiScopes.Read);
        v1.MapPost("/plans/{code}/prices", CreatePrice).RequireScope(ApiScopes.Manage);
        v1.MapGet("/plans/{code}/prices", ListPrices).RequireScope(ApiScopes.Read);
        return app;
    }

    private static Results<Ok<PreviewJson>, ApiProblem> Preview(JsonRequest<PreviewRequest> request)
    {
        if (!request.TryGet(out PreviewRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        Charge charge;
        try
        {
            charge = ChargeModels.Price(r.Price, r.Quantity, r.Events);
        }
        catch (OverflowException)
        {
            // Decimal arithmetic throws only when a result is beyond ±79228162514264337593543950335.
            return ApiError.Invalid("quantity", "The amount for this quantity is beyond the largest amount (79228162514264337593543950335).").ToProblem();
        }

        return TypedResults.Ok(new PreviewJson(Wire.Decimal(charge.Amount), [.. charge.Breakdown.Select(BreakdownJson.Of)]));
    }

    private static async Task<Results<Created<PriceJson>, ApiProblem>> CreatePrice(string code, JsonRequest<CreatePriceRequest> request, HttpContext http,
        CatalogStore catalog, BillingStore store, IAuditLog audit, CancellationToken ct)
    {
        if (!request.TryGet(out CreatePriceRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        string tenant = http.Tenant();
        if (await catalog.GetPlanAsync(tenant, code, ct) is null)
        {
            return ApiError.NotFound($"Plan '{code}'").ToProblem();
        }

        Meter? meter = (await catalog.GetMetersAsync(tenant, ct)).Find(r.Meter);
        if (meter is null)
        {
            return ApiError.NotFound($"Meter '{r.Meter}'").ToProblem();
        }

        var entry = new PriceEntry(Guid.NewGuid(), code, meter.Code, r.Price, r.Properties.GetRawText(), r.EffectiveFrom, r.EffectiveTo, catalog.Now);
        if (await store.InsertPriceAsync(tenant, entry, ct) == PriceInsert.Overlap)
        {
            return new ApiError(409, ApiError.Codes.PriceOverlap, $"Plan '{code}' already has a price for meter '{meter.Code}' in force during part of this range.").ToProblem();
        }

        audit.Record(new AuditEntry(tenant, entry.CreatedAt, "price.created", "api", null, JsonSerializer.Serialize(new
        {
            price_id = entry.Id,
            plan = code,
            meter = meter.Code,
            model = r.Price.Model.ToWire(),
            effective_from = r.EffectiveFrom,
            effective_to = r.EffectiveTo,
        })));
        return TypedResults.Created((string?)null, PriceJson.Of(entry));
    }

    private static async Task<Results<Ok<ListJson<PriceJson>>, ApiProblem>> ListPrices(string code, HttpContext http, CatalogStore catalog, BillingStore store, CancellationToken ct)
    {
        string tenant = http.Tenant();
        if (await catalog.GetPlanAsync(tenant, code, ct) is null)
        {
            return ApiError.NotFound($"Plan '{code}'").ToProblem();
        }

        return TypedResults.Ok(new ListJson<PriceJson>([.. (await store.PricesAsync(tenant, code, ct)).Select(PriceJson.Of)]));
    }

    /// <summary>The price the body's model and properties give (the properties as sent, to be stored), or null with the
    /// errors reported.</summary>
    internal static PriceSpec? ReadPrice(JsonBody body, out JsonElement properties)
    {
        properties = default;
        string? modelText = body.String("model", true, 32);
        if (modelText is null)
        {
            return null;
        }

        if (!WireName.TryParseWire(modelText, out ChargeModel model))
        {
            body.Fail("model", "'model' must be flat, per_unit, graduated, volume, package or percentage.");
            return null;
        }

        // The properties are stored as sent (jsonb), so they must hold nothing PostgreSQL refuses.
        if (!body.TryJson("properties", out properties))
        {
            return null;
        }

        var errors = new Dictionary<string, string>();
        PriceSpec? price = ChargeModels.Parse(model, properties, errors);
        foreach ((string field, string message) in errors)
        {
            body.Fail(field == "properties" ? field : "properties." + field, message);
        }

        return price;
    }
}
