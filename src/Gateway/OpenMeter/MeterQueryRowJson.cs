using System.Text.Json.Serialization;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Usage;

namespace Metering.Gateway.OpenMeter;

/// <summary>One row of a meter query: the value (a JSON number), its window, its subject when grouped by subject, and the
/// values of the other grouped properties.</summary>
public sealed record MeterQueryRowJson(
    [property: JsonPropertyName("value")] decimal? Value,
    [property: JsonPropertyName("windowStart")] string WindowStart,
    [property: JsonPropertyName("windowEnd")] string WindowEnd,
    [property: JsonPropertyName("subject")] string? Subject,
    [property: JsonPropertyName("groupBy")] IReadOnlyDictionary<string, string> GroupBy)
{
    public static MeterQueryRowJson Of(MeterQueryRow row)
        => new(row.Value is { } v ? v / 1.000000000000000000000000000000000m : null, Wire.Time(row.WindowStart), Wire.Time(row.WindowEnd), row.Subject, row.GroupBy);
}
