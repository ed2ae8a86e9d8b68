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

    /// <summary>The hourly cells of <see cref="UsageQuery.Meter"/> in [From, To) from memory (the query's window and groups
    /// are the caller's to apply); not held when the range starts before what the grain holds.</summary>
    [ReadOnly]
    Task<UsageCells> GetCellsAsync(UsageQuery query);

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
