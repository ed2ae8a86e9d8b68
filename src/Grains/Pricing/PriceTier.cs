namespace Metering.Grains.Pricing;

/// <summary>A tier of a graduated or volume price: it covers (previous up_to, <see cref="UpTo"/>]; the last has no bound.</summary>
public sealed record PriceTier(decimal? UpTo, decimal UnitPrice, decimal FlatFee);
