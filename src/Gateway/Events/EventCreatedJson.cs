namespace Metering.Gateway.Events;

/// <summary>The answer to an accepted event: <c>{"event_id","status":"created"}</c>.</summary>
public sealed record EventCreatedJson(Guid? EventId, string Status);
