using Metering.Grains.Events;
using Metering.Grains.Usage;
using Metering.Runtime;

namespace Metering.Grains.Subscriptions;

/// <summary>One subscription: takes its events exactly once and holds their aggregates for the current billing period.
/// Key: <see cref="SubscriptionKey.Of"/>.</summary>
public interface ISubscriptionGrain : IGrainWithStringKey
{
    /// <summary>Makes the events durable (one group commit) and then counts them; one outcome per event, in order.</summary>
    Task<IngestOutcome[]> IngestAsync(IReadOnlyList<IncomingEvent> events);

    /// <summary>Usage from memory; <see cref="UsageResult.Held"/> is false when the range starts before what the grain holds.</summary>
    [ReadOnly]
    Task<UsageResult> GetUsageAsync(UsageQuery query);

    /// <summary>From now on, passes the committed events of <paramref name="meterCode"/>'s event type to its quota grain.</summary>
    Task WatchQuotaAsync(string meterCode);

    /// <summary>Re-reads the closed (finalized) billing periods, whose events are refused from now on, and returns once every
    /// event accepted before is committed. Returns the fence of the silo that did so: freezing the invoice under it means the
    /// partition has not moved since.</summary>
    Task<FencingToken> ReloadClosedPeriodsAsync();

    /// <summary>Ends the subscription (see <see cref="CancelRequest"/>): exact against ingest, for both are turns of this grain.
    /// From the end on, its events are refused with <see cref="IngestStatus.SubscriptionEnded"/>.</summary>
    Task<CancelOutcome> CancelAsync(CancelRequest request);

    /// <summary>Adds a subject from a time on: from then, its events are this subscription's.</summary>
    Task<SubjectChangeOutcome> AddSubjectAsync(SubjectChange change);

    /// <summary>Removes a subject at a time: exact against ingest, as a cancel is.</summary>
    Task<SubjectChangeOutcome> RemoveSubjectAsync(SubjectChange change);

    /// <summary>Writes a snapshot now.</summary>
    Task SnapshotAsync();
}

public static class SubscriptionKey
{
    /// <summary>The grain key of a subscription: tenant and subscription id, which never hold '/' or '#'.</summary>
    public static string Of(string tenantId, string subscriptionId) => $"{tenantId}/{subscriptionId}";

    public static (string TenantId, string SubscriptionId) Parse(string key)
    {
        int slash = key.IndexOf('/', StringComparison.Ordinal);
        int hash = key.IndexOf('#', StringComparison.Ordinal);
        return (key[..slash], hash < 0 ? key[(slash + 1)..] : key[(slash + 1)..hash]);
    }
}

/// <summary>Settings of subscription grains.</summary>
public sealed class SubscriptionGrainOptions
{
    /// <summary>How often a changed grain writes a snapshot of its aggregates.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>What a subscription grain persists: its hourly aggregates and the last event sequence they include.</summary>
public sealed class SubscriptionSnapshot
{
    public DateTimeOffset HeldFrom { get; set; }

    public long LastSeq { get; set; }

    public string MetersFingerprint { get; set; } = string.Empty;

    /// <summary>meter code → hour (Unix seconds) → group key → aggregate.</summary>
    public Dictionary<string, Dictionary<long, Dictionary<string, Aggregate>>> Buckets { get; set; } = [];
}
