namespace Metering.Gateway.Lago;

/// <summary><c>{"event":{...}}</c>, as Lago answers one event.</summary>
public sealed record LagoEventEnvelope(LagoEventJson Event);
