using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Catalog;

namespace Metering.Gateway.Catalog;

/// <summary>A plan as the API shows it, at one version (the latest unless a version was asked for).</summary>
public sealed record PlanJson(string Code, int Version, string Currency, string Interval, string FixedFee, string Proration, string CreatedAt)
{
    public static PlanJson Of(Plan p) => new(p.Code, p.Version, p.Currency, p.Interval.ToWire(), Wire.Decimal(p.FixedFee), p.Proration.ToWire(), Wire.Time(p.CreatedAt));
}
