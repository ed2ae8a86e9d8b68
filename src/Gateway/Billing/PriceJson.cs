using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Pricing;
using Metering.Silo.Billing;

namespace Metering.Gateway.Billing;

/// <summary>A price book entry as the API shows it; the properties as they were sent.</summary>
public sealed record PriceJson(Guid Id, string Plan, string Meter, string Model, JsonElement Properties, string EffectiveFrom, string? EffectiveTo, string CreatedAt)
{
    public static PriceJson Of(PriceEntry entry) => new(entry.Id, entry.PlanCode, entry.MeterCode, entry.Price.Model.ToWire(),
        JsonSerializer.Deserialize<JsonElement>(entry.PropertiesJson), Wire.Time(entry.EffectiveFrom), Wire.Time(entry.EffectiveTo), Wire.Time(entry.CreatedAt));
}
