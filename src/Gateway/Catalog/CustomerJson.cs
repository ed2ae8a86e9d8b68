using Metering.Gateway.Infrastructure;
using Metering.Grains.Catalog;

namespace Metering.Gateway.Catalog;

/// <summary>A customer as the API shows it.</summary>
public sealed record CustomerJson(string Id, string Name, string Currency, string TaxRate, string CreatedAt)
{
    public static CustomerJson Of(Customer c) => new(c.Id, c.Name, c.Currency, Wire.Decimal(c.TaxRate), Wire.Time(c.CreatedAt));
}
