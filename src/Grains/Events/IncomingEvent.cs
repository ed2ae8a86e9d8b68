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
