namespace Metering.Gateway.Lago;

/// <summary><c>{"event":{...}}</c> as sent, for the OpenAPI document.</summary>
public sealed record LagoEventInputEnvelope(LagoEventInputJson Event);
