using System.Text.Json;

namespace Metering.Gateway.Events;

/// <summary>An event as sent, for the OpenAPI document; <see cref="EventValidator"/> judges it.</summary>
public sealed record EventJson(string IdempotencyKey, string Subject, string EventType, DateTimeOffset? Timestamp, JsonElement? Properties,
    IReadOnlyList<string>? DelegationChain, EventSignatureJson? Signature);
