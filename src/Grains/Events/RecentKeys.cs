namespace Metering.Grains.Events;

/// <summary>The idempotency keys a subscription grain stored most recently, with their payload hash and event id: a retry
/// of one is settled here as the log would settle it (<see cref="IngestOutcome.Settle"/>), without a round trip to the
/// database. Bounded: past <c>capacity</c> the oldest are forgotten, and the log settles those.</summary>
public sealed class RecentKeys(int capacity)
{
    private readonly Dictionary<string, (byte[] Hash, Guid EventId)> _keys = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public int Count => _keys.Count;

    /// <summary>Remembers a key the log holds with this payload.</summary>
    public void Add(string key, byte[] payloadHash, Guid eventId)
    {
        if (capacity <= 0 || !_keys.TryAdd(key, (payloadHash, eventId)))
        {
            return;
        }

        _order.Enqueue(key);
        if (_order.Count > capacity)
        {
            _keys.Remove(_order.Dequeue());
        }
    }

    /// <summary>The outcome of <paramref name="e"/> when its key is remembered (a duplicate, or a reused key); null otherwise.</summary>
    public IngestOutcome? Settle(IncomingEvent e)
        => _keys.TryGetValue(e.IdempotencyKey, out var stored) ? IngestOutcome.Settle(e.PayloadHash, stored.EventId, stored.Hash) : null;
}
