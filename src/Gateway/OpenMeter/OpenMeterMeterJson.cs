using System.Text.Json.Serialization;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Catalog;

namespace Metering.Gateway.OpenMeter;

/// <summary>A meter in OpenMeter's shape (camelCase; the aggregation in capitals, the value and group-by properties as
/// JSONPath). The id is the slug, which is the Metering meter's code.</summary>
public sealed record OpenMeterMeterJson(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("slug")] string Slug,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("eventType")] string EventType,
    [property: JsonPropertyName("aggregation")] string Aggregation,
    [property: JsonPropertyName("valueProperty")] string? ValueProperty,
    [property: JsonPropertyName("groupBy")] IReadOnlyDictionary<string, string> GroupBy,
    [property: JsonPropertyName("createdAt")] string CreatedAt,
    [property: JsonPropertyName("updatedAt")] string UpdatedAt)
{
    public static OpenMeterMeterJson Of(Meter m) => new(m.Code, m.Code, m.Code, m.EventType, m.Aggregation.ToWire().ToUpperInvariant(),
        m.ValueProperty is null ? null : "$." + m.ValueProperty, m.GroupBy.ToDictionary(g => g, g => "$." + g, StringComparer.Ordinal),
        Wire.Time(m.CreatedAt), Wire.Time(m.CreatedAt));
}
