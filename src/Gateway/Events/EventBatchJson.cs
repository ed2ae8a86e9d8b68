namespace Metering.Gateway.Events;

/// <summary>A batch as sent, for the OpenAPI document: 1 to 1000 events.</summary>
public sealed record EventBatchJson(IReadOnlyList<EventJson> Events, EventSignatureJson? Signature);
