namespace Metering.Grains.Pricing;

/// <summary>A meter's usage in a period with the price in force at its start.</summary>
public sealed record MeterUsage(string Meter, PriceSpec Price, decimal Quantity, long Events);
