using Metering.Runtime;

namespace Metering.Grains.Subscriptions;

/// <summary>Settings of subscription grains.</summary>
public sealed class SubscriptionGrainOptions
{
    /// <summary>How often a changed grain writes a snapshot of its aggregates.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(30);
}
