namespace Metering.Grains.Events;

/// <summary>An event as stored, for replay and history.</summary>
public sealed record StoredEvent(long Seq, string EventType, DateTimeOffset Timestamp, DateTimeOffset ReceivedAt, string PropertiesJson);
