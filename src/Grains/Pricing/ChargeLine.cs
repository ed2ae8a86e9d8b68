namespace Metering.Grains.Pricing;

/// <summary>One part of a charge: the units from <see cref="From"/> to <see cref="To"/> at a unit price, plus a flat fee.</summary>
public sealed record ChargeLine(decimal From, decimal? To, decimal Quantity, decimal UnitPrice, decimal FlatFee, decimal Amount);
