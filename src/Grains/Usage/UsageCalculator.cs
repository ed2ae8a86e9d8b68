using Metering.Grains.Catalog;

namespace Metering.Grains.Usage;

/// <summary>Builds a usage answer from hourly cells; used by the grain and by the history over rollups alike.</summary>
public static class UsageCalculator
{
    public static UsageResult Build(Meter meter, UsageQuery query, IEnumerable<HourlyCell> cells)
    {
        int[] dims = query.GroupBy.Select(g => IndexOf(meter.GroupBy, g)).ToArray();
        var total = new Aggregate();
        var totalGroups = dims.Length > 0 ? new Dictionary<string, Dictionary<string, Aggregate>>() : null;
        var windows = new SortedDictionary<DateTimeOffset, (Aggregate Agg, Dictionary<string, Dictionary<string, Aggregate>>? Groups)>();
        foreach (HourlyCell cell in cells)
        {
            if (cell.Hour < query.From || cell.Hour >= query.To)
            {
                continue;
            }

            total.Merge(cell.Aggregate);
            string[]? values = dims.Length > 0 ? cell.GroupKey.Split(MeterReading.GroupSeparator) : null;
            AddGroups(totalGroups, query.GroupBy, dims, values, cell.Aggregate);
            if (query.Window != UsageWindow.None)
            {
                DateTimeOffset start = WindowStart(cell.Hour, query.Window);
                if (!windows.TryGetValue(start, out var window))
                {
                    window = (new Aggregate(), dims.Length > 0 ? new Dictionary<string, Dictionary<string, Aggregate>>() : null);
                    windows[start] = window;
                }

                window.Agg.Merge(cell.Aggregate);
                AddGroups(window.Groups, query.GroupBy, dims, values, cell.Aggregate);
            }
        }

        TimeSpan size = query.Window switch
        {
            UsageWindow.Minute => TimeSpan.FromMinutes(1),
            UsageWindow.Hour => TimeSpan.FromHours(1),
            _ => TimeSpan.FromDays(1),
        };
        var windowResults = windows.Select(w => new UsageWindowResult(
            w.Key < query.From ? query.From : w.Key,
            w.Key + size > query.To ? query.To : w.Key + size,
            w.Value.Agg.Value(meter.Aggregation),
            w.Value.Agg.Count,
            Values(w.Value.Groups, meter.Aggregation))).ToList();
        return new UsageResult(true, meter.Code, meter.Aggregation, query.From, query.To, total.Value(meter.Aggregation), total.Count, windowResults, Values(totalGroups, meter.Aggregation));
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
            {
                return i;
            }
        }

        throw new ArgumentException($"'{value}' is not a group_by dimension of the meter.");
    }

    private static void AddGroups(Dictionary<string, Dictionary<string, Aggregate>>? groups, IReadOnlyList<string> names, int[] dims, string[]? values, Aggregate aggregate)
    {
        if (groups is null || values is null)
        {
            return;
        }

        for (int i = 0; i < dims.Length; i++)
        {
            if (!groups.TryGetValue(names[i], out Dictionary<string, Aggregate>? byValue))
            {
                groups[names[i]] = byValue = new Dictionary<string, Aggregate>(StringComparer.Ordinal);
            }

            string value = dims[i] < values.Length ? values[dims[i]] : string.Empty;
            if (!byValue.TryGetValue(value, out Aggregate? agg))
            {
                byValue[value] = agg = new Aggregate();
            }

            agg.Merge(aggregate);
        }
    }

    private static IReadOnlyDictionary<string, IReadOnlyDictionary<string, decimal?>>? Values(Dictionary<string, Dictionary<string, Aggregate>>? groups, Aggregation aggregation)
        => groups is null ? null : new SortedDictionary<string, IReadOnlyDictionary<string, decimal?>>(groups.ToDictionary(
            g => g.Key,
            g => (IReadOnlyDictionary<string, decimal?>)new SortedDictionary<string, decimal?>(
                g.Value.ToDictionary(v => v.Key, v => v.Value.Value(aggregation), StringComparer.Ordinal), StringComparer.Ordinal),
            StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>The UTC window of this size a cell start falls in.</summary>
    public static DateTimeOffset WindowStart(DateTimeOffset cellStart, UsageWindow window) => window switch
    {
        UsageWindow.Minute => MinuteOf(cellStart),
        UsageWindow.Hour => HourOf(cellStart),
        _ => new DateTimeOffset(cellStart.UtcDateTime.Date, TimeSpan.Zero),
    };

    public static DateTimeOffset MinuteOf(DateTimeOffset timestamp)
    {
        DateTime utc = timestamp.UtcDateTime;
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, 0, TimeSpan.Zero);
    }

    public static DateTimeOffset HourOf(DateTimeOffset timestamp)
    {
        DateTime utc = timestamp.UtcDateTime;
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }
}
