using Metering.Runtime;

namespace Metering.Grains.Events;

/// <summary>The durable, ordered log of events: appends go through the group-commit writer.</summary>
public interface IEventLog
{
    /// <summary>Appends events of one subscription (idempotency keys distinct within the call) in a group commit, fenced by the
    /// partition's epoch. Returns one outcome per event: Created (with its sequence), Duplicate or KeyReused. Completes only
    /// after the commit. Appends of one partition commit in the order they were made.</summary>
    Task<IngestOutcome[]> AppendAsync(string tenantId, string subscriptionId, IReadOnlyList<IncomingEvent> events, FencingToken fence);

    /// <summary>The subscription's events after sequence <paramref name="afterSeq"/> with a timestamp at or after
    /// <paramref name="fromTimestamp"/>, in sequence order.</summary>
    IAsyncEnumerable<StoredEvent> ReadAsync(string tenantId, string subscriptionId, long afterSeq, DateTimeOffset fromTimestamp, CancellationToken cancellationToken);
}
