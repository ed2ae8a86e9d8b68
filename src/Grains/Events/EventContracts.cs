using Metering.Runtime;

namespace Metering.Grains.Events;

/// <summary>A validated event on its way to its subscription grain. <see cref="PayloadHash"/> identifies the payload
/// as sent, to tell a replay (same payload) from a reused key (different payload).</summary>
public sealed record IncomingEvent(
    string IdempotencyKey,
    string Subject,
    string EventType,
    DateTimeOffset Timestamp,
    DateTimeOffset ReceivedAt,
    string PropertiesJson,
    byte[] PayloadHash,
    string? MetaJson);

/// <summary>An event as stored, for replay and history.</summary>
public sealed record StoredEvent(long Seq, string EventType, DateTimeOffset Timestamp, DateTimeOffset ReceivedAt, string PropertiesJson);

public enum IngestStatus
{
    Created,
    Duplicate,
    KeyReused,
    PeriodClosed,

    /// <summary>The event is stamped at or after the subscription's end.</summary>
    SubscriptionEnded,

    /// <summary>The subscription did not hold the event's subject at its timestamp (the sender's view of subjects was old).</summary>
    SubjectNotHeld,
    Failed,
}

/// <summary>The fate of one event. <see cref="EventId"/> is the stored event's id (the original one for a duplicate).</summary>
public sealed record IngestOutcome(IngestStatus Status, Guid EventId, long Seq, string? Detail = null)
{
    public static IngestOutcome Failed(string detail) => new(IngestStatus.Failed, Guid.Empty, 0, detail);
}

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
