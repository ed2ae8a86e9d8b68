using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Pricing;

namespace Metering.Gateway.Billing;

/// <summary><c>POST /v1/plans/{code}/prices</c>: <c>{"meter","model","properties","effective_from","effective_to"?}</c>.</summary>
public sealed record CreatePriceRequest(string Meter, string Model, JsonElement Properties, DateTimeOffset EffectiveFrom, DateTimeOffset? EffectiveTo)
    : IJsonRequest<CreatePriceRequest>
{
    public PriceSpec Price { get; private init; } = null!;

    public static CreatePriceRequest? Read(JsonBody body, HttpContext http)
    {
        string? meterCode = body.String("meter", true, 64);
        PriceSpec? price = PricingApi.ReadPrice(body, out JsonElement properties);
        DateTimeOffset? from = body.Time("effective_from", true);
        DateTimeOffset? to = body.Time("effective_to", false);
        if (from is not null && to is not null && to <= from)
        {
            body.Fail("effective_to", "'effective_to' must be after 'effective_from'.");
        }

        return body.HasErrors ? null : new CreatePriceRequest(meterCode!, price!.Model.ToWire(), properties, from!.Value, to) { Price = price };
    }
}
