using System.Text.Json;

namespace Metering.Gateway.Lago;

/// <summary>An event as Lago's clients send it, for the OpenAPI document.</summary>
public sealed record LagoEventInputJson(string TransactionId, string ExternalSubscriptionId, string Code, JsonElement? Timestamp, JsonElement? Properties);
