using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Audit;
using Metering.Grains.Catalog;
using Metering.Grains.Pricing;
using Metering.Silo.ApiKeys;
using Metering.Silo.Billing;
using Metering.Silo.Catalog;
using Metering.Silo.Listing;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Problem = Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<System.Collections.Generic.Dictionary<string, object?>>;

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
        v1.MapGet("/prices", ListAllPrices).RequireScope(ApiScopes.Read);
        return app;
    }

    private static async Task<IResult> Preview(HttpContext http, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        PriceSpec? price = ReadPrice(body, out _);
        decimal? quantity = body.Decimal("quantity", true, min: 0);
        decimal events = body.Decimal("events", false, min: 0) ?? 0;
        if (events != decimal.Truncate(events) || events > long.MaxValue)
        {
            body.Fail("events", $"'events' must be a whole number of at most {long.MaxValue}.");
        }

        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        Charge charge;
        try
        {
            charge = ChargeModels.Price(price!, quantity!.Value, (long)events);
        }
        catch (OverflowException)
        {
            // Decimal arithmetic throws only when a result is beyond ±79228162514264337593543950335.
            return ApiError.Invalid("quantity", "The amount for this quantity is beyond the largest amount (79228162514264337593543950335).").ToResult();
        }

        return TypedResults.Json(new { amount = Wire.Decimal(charge.Amount), breakdown = charge.Breakdown.Select(BreakdownJson) }, Wire.Json);
    }

    private static async Task<IResult> CreatePrice(string code, HttpContext http, CatalogStore catalog, BillingStore store, IAuditLog audit, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        string? meterCode = body.String("meter", true, 64);
        PriceSpec? price = ReadPrice(body, out JsonElement properties);
        DateTimeOffset? from = body.Time("effective_from", true);
        DateTimeOffset? to = body.Time("effective_to", false);
        if (from is not null && to is not null && to <= from)
        {
            body.Fail("effective_to", "'effective_to' must be after 'effective_from'.");
        }

        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        string tenant = http.Tenant();
        if (await catalog.GetPlanAsync(tenant, code, ct) is null)
        {
            return ApiError.NotFound($"Plan '{code}'").ToResult();
        }

        Meter? meter = (await catalog.GetMetersAsync(tenant, ct)).Find(meterCode!);
        if (meter is null)
        {
            return ApiError.NotFound($"Meter '{meterCode}'").ToResult();
        }

        var entry = new PriceEntry(Guid.NewGuid(), code, meter.Code, price!, properties.GetRawText(), from!.Value, to, catalog.Now);
        if (await store.InsertPriceAsync(tenant, entry, ct) == PriceInsert.Overlap)
        {
            return new ApiError(409, "PRICE_OVERLAP", $"Plan '{code}' already has a price for meter '{meter.Code}' in force during part of this range.").ToResult();
        }

        audit.Record(new AuditEntry(tenant, entry.CreatedAt, "price.created", "api", null,
            JsonSerializer.Serialize(new { price_id = entry.Id, plan = code, meter = meter.Code, model = price!.Model.ToWire(), effective_from = from, effective_to = to })));
        return TypedResults.Json(PriceJson(entry), Wire.Json, statusCode: 201);
    }

    private static async Task<Results<JsonHttpResult<PageJson<object>>, Problem>> ListPrices(string code, [AsParameters] PageQuery query, HttpContext http,
        CatalogStore catalog, BillingStore store, CancellationToken ct)
    {
        string tenant = http.Tenant();
        if (await catalog.GetPlanAsync(tenant, code, ct) is null)
        {
            return ApiError.NotFound($"Plan '{code}'").ToProblem();
        }

        return await ListAllPrices(query, code, null, http, store, ct);
    }

    /// <summary><c>GET /v1/prices?plan=&amp;meter=</c>: every price book entry of the tenant, in the order they were made.</summary>
    private static async Task<Results<JsonHttpResult<PageJson<object>>, Problem>> ListAllPrices([AsParameters] PageQuery query,
        [FromQuery(Name = "plan")] string? plan, [FromQuery(Name = "meter")] string? meter, HttpContext http, BillingStore store, CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        return page is null
            ? error!.ToProblem()
            : TypedResults.Json(PageJson<object>.Of(await store.PricesAsync(http.Tenant(), plan, meter, page, ct), PriceJson), Wire.Json);
    }

    /// <summary>The price the body's model and properties give (the properties as sent, to be stored), or null with the
    /// errors reported.</summary>
    private static PriceSpec? ReadPrice(JsonBody body, out JsonElement properties)
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

    private static object PriceJson(PriceEntry entry) => new
    {
        id = entry.Id,
        plan = entry.PlanCode,
        meter = entry.MeterCode,
        model = entry.Price.Model.ToWire(),
        properties = JsonSerializer.Deserialize<JsonElement>(entry.PropertiesJson),
        effective_from = Wire.Time(entry.EffectiveFrom),
        effective_to = Wire.Time(entry.EffectiveTo),
        created_at = Wire.Time(entry.CreatedAt),
    };

    public static object BreakdownJson(ChargeLine line) => new
    {
        from = Wire.Decimal(line.From),
        to = Wire.Decimal(line.To),
        quantity = Wire.Decimal(line.Quantity),
        unit_price = Wire.Decimal(line.UnitPrice),
        flat_fee = Wire.Decimal(line.FlatFee),
        amount = Wire.Decimal(line.Amount),
    };
}
