using Metering.Runtime;

namespace Metering.Grains.Events;

/// <summary>The fate of one event. <see cref="EventId"/> is the stored event's id (the original one for a duplicate).</summary>
public sealed record IngestOutcome(IngestStatus Status, Guid EventId, long Seq, string? Detail = null)
{
    public static IngestOutcome Failed(string detail) => new(IngestStatus.Failed, Guid.Empty, 0, detail);

    /// <summary>What "the same event" means: a key already stored is a duplicate when its payload hash is the stored one's,
    /// and a reused key otherwise (also when the stored hash is unknown).</summary>
    public static IngestOutcome Settle(byte[] payloadHash, Guid storedId, byte[]? storedHash)
        => storedHash is not null && payloadHash.AsSpan().SequenceEqual(storedHash)
            ? new IngestOutcome(IngestStatus.Duplicate, storedId, 0)
            : new IngestOutcome(IngestStatus.KeyReused, storedId, 0);
}
