using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metering.Gateway.OpenMeter;

/// <summary>A CloudEvent as OpenMeter takes it, for the OpenAPI document.</summary>
public sealed record CloudEventJson(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("specversion")] string Specversion,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("time")] DateTimeOffset? Time,
    [property: JsonPropertyName("data")] JsonElement? Data);
