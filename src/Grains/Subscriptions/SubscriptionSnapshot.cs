using Metering.Grains.Usage;

namespace Metering.Grains.Subscriptions;

/// <summary>What a subscription grain persists: its hourly aggregates and the last event sequence they include.</summary>
public sealed class SubscriptionSnapshot
{
    public DateTimeOffset HeldFrom { get; set; }

    public long LastSeq { get; set; }

    public string MetersFingerprint { get; set; } = string.Empty;

    /// <summary>meter code → hour (Unix seconds) → group key → aggregate.</summary>
    public Dictionary<string, Dictionary<long, Dictionary<string, Aggregate>>> Buckets { get; set; } = [];
}
