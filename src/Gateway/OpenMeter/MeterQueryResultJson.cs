using System.Text.Json.Serialization;

namespace Metering.Gateway.OpenMeter;

/// <summary>The answer of a meter query in OpenMeter's shape.</summary>
public sealed record MeterQueryResultJson(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("windowSize")] string? WindowSize,
    [property: JsonPropertyName("data")] IReadOnlyList<MeterQueryRowJson> Data);
