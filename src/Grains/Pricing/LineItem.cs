namespace Metering.Grains.Pricing;

/// <summary>A line of an invoice: a meter's usage priced (<see cref="Meter"/> null for the plan's fixed fee). The amount is
/// rounded to the currency's minor unit; the breakdown keeps the unrounded parts.</summary>
public sealed record LineItem(string? Meter, string Description, string Model, decimal Quantity, decimal Amount, IReadOnlyList<ChargeLine> Breakdown);
