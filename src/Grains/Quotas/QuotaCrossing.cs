using Metering.Grains.Webhooks;

namespace Metering.Grains.Quotas;

/// <summary>A notification a quota's usage calls for: a threshold (percent of the limit) reached, credits running low, or the
/// limit used up (<see cref="Threshold"/> 100).</summary>
public sealed record QuotaCrossing(NotificationType Type, decimal Threshold);
