using System.Text.Json.Serialization;

namespace Metering.Gateway.OpenMeter;

/// <summary>A meter as OpenMeter's clients send it, for the OpenAPI document.</summary>
public sealed record OpenMeterMeterSpecJson(
    [property: JsonPropertyName("slug")] string Slug,
    [property: JsonPropertyName("eventType")] string EventType,
    [property: JsonPropertyName("aggregation")] string Aggregation,
    [property: JsonPropertyName("valueProperty")] string? ValueProperty,
    [property: JsonPropertyName("groupBy")] IReadOnlyDictionary<string, string>? GroupBy,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("description")] string? Description);
