using Metering.Runtime;

namespace Metering.Grains.Subscriptions;

/// <summary>Settings of subscription grains.</summary>
public sealed class SubscriptionGrainOptions
{
    /// <summary>How often a changed grain writes a snapshot of its aggregates.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many of its most recently stored idempotency keys an activation remembers, to answer their retries
    /// without the database (0: every retry asks the log).</summary>
    public int RecentKeys { get; set; } = 10_000;
}
