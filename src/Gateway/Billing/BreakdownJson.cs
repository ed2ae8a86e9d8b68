using Metering.Gateway.Infrastructure;
using Metering.Grains.Pricing;

namespace Metering.Gateway.Billing;

/// <summary>One line of a charge's breakdown (a tier, a package, a percentage).</summary>
public sealed record BreakdownJson(string From, string? To, string Quantity, string UnitPrice, string FlatFee, string Amount)
{
    public static BreakdownJson Of(ChargeLine line) => new(Wire.Decimal(line.From), Wire.Decimal(line.To), Wire.Decimal(line.Quantity),
        Wire.Decimal(line.UnitPrice), Wire.Decimal(line.FlatFee), Wire.Decimal(line.Amount));
}
