using System.Globalization;
using System.Text.Json;
using Metering.Grains.Catalog;

namespace Metering.Grains.Usage;

/// <summary>How one event counts for one meter: whether it counts, its number or unique value, and its group values.</summary>
public static class MeterReading
{
    /// <summary>Reads an event for a meter. Returns false when the meter's value is missing or not numeric (the event is stored
    /// but does not count for sum/min/max/latest), or missing for unique_count.</summary>
    public static bool TryRead(Meter meter, JsonElement properties, out decimal number, out string? unique)
    {
        number = 0;
        unique = null;
        if (meter.Aggregation == Aggregation.Count)
        {
            return true;
        }

        if (!TryResolve(properties, meter.ValuePath, out JsonElement value))
        {
            return false;
        }

        if (meter.Aggregation == Aggregation.UniqueCount)
        {
            unique = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Null => null,
                _ => value.GetRawText(),
            };
            return unique is not null;
        }

        return TryNumber(value, out number);
    }

    /// <summary>The group key: the event's values of the meter's group_by properties, joined by a unit separator ("" when missing).</summary>
    public static string GroupKey(Meter meter, JsonElement properties)
    {
        if (meter.GroupBy.Count == 0)
        {
            return string.Empty;
        }

        var parts = new string[meter.GroupBy.Count];
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = TryResolve(properties, meter.GroupBy[i].Split('.'), out JsonElement v)
                ? v.ValueKind == JsonValueKind.String ? v.GetString()! : v.ValueKind == JsonValueKind.Null ? string.Empty : v.GetRawText()
                : string.Empty;
        }

        return string.Join(GroupSeparator, parts);
    }

    public const char GroupSeparator = '\u001f';

    public static bool TryNumber(JsonElement value, out decimal number)
    {
        number = 0;
        return value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetDecimal(out number),
            JsonValueKind.String => decimal.TryParse(value.GetString(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out number),
            _ => false,
        };
    }

    private static bool TryResolve(JsonElement element, IReadOnlyList<string> path, out JsonElement value)
    {
        value = element;
        foreach (string segment in path)
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(segment, out value))
            {
                return false;
            }
        }

        return true;
    }
}
