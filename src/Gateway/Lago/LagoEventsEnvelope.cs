namespace Metering.Gateway.Lago;

/// <summary><c>{"events":[...]}</c>, as Lago answers a batch.</summary>
public sealed record LagoEventsEnvelope(IReadOnlyList<LagoEventJson> Events);
