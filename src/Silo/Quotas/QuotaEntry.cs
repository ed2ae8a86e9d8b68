namespace Metering.Silo.Quotas;

/// <summary>That a subscription has a quota on a meter (its definition and counters are the quota grain's).</summary>
public sealed record QuotaEntry(string SubscriptionId, string MeterCode, DateTimeOffset CreatedAt);
