using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Pricing;

namespace Metering.Gateway.Billing;

/// <summary><c>POST /v1/pricing/preview</c>: <c>{"model","properties","quantity","events"?}</c>.</summary>
public sealed record PreviewRequest(string Model, JsonElement Properties, decimal Quantity, long Events) : IJsonRequest<PreviewRequest>
{
    public PriceSpec Price { get; private init; } = null!;

    public static PreviewRequest? Read(JsonBody body, HttpContext http)
    {
        PriceSpec? price = PricingApi.ReadPrice(body, out JsonElement properties);
        decimal? quantity = body.Decimal("quantity", true, min: 0);
        decimal events = body.Decimal("events", false, min: 0) ?? 0;
        if (events != decimal.Truncate(events) || events > long.MaxValue)
        {
            body.Fail("events", $"'events' must be a whole number of at most {long.MaxValue}.");
        }

        return body.HasErrors ? null : new PreviewRequest(price!.Model.ToWire(), properties, quantity!.Value, (long)events) { Price = price };
    }
}
