using Metering.Runtime;

namespace Metering.Grains.Events;

/// <summary>The fate of one event. <see cref="EventId"/> is the stored event's id (the original one for a duplicate).</summary>
public sealed record IngestOutcome(IngestStatus Status, Guid EventId, long Seq, string? Detail = null)
{
    public static IngestOutcome Failed(string detail) => new(IngestStatus.Failed, Guid.Empty, 0, detail);
}
