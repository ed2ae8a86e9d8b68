namespace Metering.Gateway.Lago;

/// <summary><c>{"events":[...]}</c> as sent (at most 100), for the OpenAPI document.</summary>
public sealed record LagoBatchInputEnvelope(IReadOnlyList<LagoEventInputJson> Events);
