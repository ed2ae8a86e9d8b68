using System.Globalization;
using System.Text.Json;
using Metering.Grains.Catalog;

namespace Metering.Grains.Usage;

/// <summary>The running aggregate of one meter over some events: enough to answer every aggregation and to merge.</summary>
public sealed class Aggregate
{
    public long Count { get; set; }

    public decimal Sum { get; set; }

    public decimal? Min { get; set; }

    public decimal? Max { get; set; }

    public decimal? Latest { get; set; }

    public DateTimeOffset LatestAt { get; set; }

    public long LatestSeq { get; set; }

    public HashSet<string>? Uniques { get; set; }

    /// <summary>Adds one event's contribution: a number for sum/avg/min/max/latest, a text value for unique_count, nothing for count.</summary>
    public void Add(Aggregation aggregation, decimal number, string? unique, DateTimeOffset timestamp, long seq)
    {
        Count++;
        switch (aggregation)
        {
            case Aggregation.Sum or Aggregation.Avg:
                Sum = Saturating.Add(Sum, number);
                break;
            case Aggregation.Min:
                Min = Min is null ? number : Math.Min(Min.Value, number);
                break;
            case Aggregation.Max:
                Max = Max is null ? number : Math.Max(Max.Value, number);
                break;
            case Aggregation.Latest:
                if (Latest is null || timestamp > LatestAt || (timestamp == LatestAt && seq > LatestSeq))
                {
                    Latest = number;
                    LatestAt = timestamp;
                    LatestSeq = seq;
                }

                break;
            case Aggregation.UniqueCount:
                (Uniques ??= new HashSet<string>(StringComparer.Ordinal)).Add(unique!);
                break;
        }
    }

    public void Merge(Aggregate other)
    {
        Count += other.Count;
        Sum = Saturating.Add(Sum, other.Sum);
        if (other.Min is not null)
        {
            Min = Min is null ? other.Min : Math.Min(Min.Value, other.Min.Value);
        }

        if (other.Max is not null)
        {
            Max = Max is null ? other.Max : Math.Max(Max.Value, other.Max.Value);
        }

        if (other.Latest is not null && (Latest is null || other.LatestAt > LatestAt || (other.LatestAt == LatestAt && other.LatestSeq > LatestSeq)))
        {
            Latest = other.Latest;
            LatestAt = other.LatestAt;
            LatestSeq = other.LatestSeq;
        }

        if (other.Uniques is not null)
        {
            (Uniques ??= new HashSet<string>(StringComparer.Ordinal)).UnionWith(other.Uniques);
        }
    }

    /// <summary>The meter's value; null for min/max/latest/avg over no events.</summary>
    public decimal? Value(Aggregation aggregation) => aggregation switch
    {
        Aggregation.Count => Count,
        Aggregation.Sum => Sum,
        Aggregation.UniqueCount => Uniques?.Count ?? 0,
        Aggregation.Min => Min,
        Aggregation.Max => Max,
        Aggregation.Avg => Count == 0 ? null : Sum / Count,
        _ => Latest,
    };
}

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
