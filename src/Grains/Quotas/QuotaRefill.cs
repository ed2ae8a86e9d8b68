namespace Metering.Grains.Quotas;

/// <summary>Credits (period none) may be restored to <see cref="Amount"/> at every UTC day or month boundary.</summary>
public sealed record QuotaRefill(decimal Amount, RefillInterval Interval);
