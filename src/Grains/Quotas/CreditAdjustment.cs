namespace Metering.Grains.Quotas;

/// <summary>How a credit balance is adjusted (PATCH): exactly one of the three is set.</summary>
public sealed record CreditAdjustment(decimal? Set, decimal? Increment, decimal? Decrement);
