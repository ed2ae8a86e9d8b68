using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Catalog;

namespace Metering.Gateway.Catalog;

/// <summary>A customer as the API shows it.</summary>
public sealed record CustomerJson(string Id, string Name, string? Email, string Currency, string TaxRate, JsonElement Metadata, string CreatedAt)
{
    public static CustomerJson Of(Customer c)
        => new(c.Id, c.Name, c.Email, c.Currency, Wire.Decimal(c.TaxRate), JsonSerializer.Deserialize<JsonElement>(c.MetadataJson), Wire.Time(c.CreatedAt));
}
