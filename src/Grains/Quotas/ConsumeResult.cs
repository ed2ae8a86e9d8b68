namespace Metering.Grains.Quotas;

public sealed record ConsumeResult(ConsumeStatus Status, decimal Remaining, decimal? Overage = null, string? Detail = null);
