using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Catalog;

namespace Metering.Gateway.Catalog;

/// <summary>A plan as the API shows it.</summary>
public sealed record PlanJson(string Code, string Currency, string Interval, string FixedFee, string CreatedAt)
{
    public static PlanJson Of(Plan p) => new(p.Code, p.Currency, p.Interval.ToWire(), Wire.Decimal(p.FixedFee), Wire.Time(p.CreatedAt));
}
