namespace Metering.Grains.Pricing;

/// <summary>An unrounded amount and how it was reached.</summary>
public sealed record Charge(decimal Amount, IReadOnlyList<ChargeLine> Breakdown);
