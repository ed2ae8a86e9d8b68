using Metering.Grains.Catalog;

namespace Metering.Grains.Usage;

/// <summary>Answers a <see cref="MeterQuery"/> from minute cells: one row per window and group, with the meter's aggregation
/// over the merged cells (so an average is the sum over the count of the whole window, never a mean of means).</summary>
public static class MeterQueryCalculator
{
    public static IReadOnlyList<MeterQueryRow> Build(Meter meter, MeterQuery query, IEnumerable<SubjectCell> cells)
    {
        int[] dims = query.GroupBy.Where(g => g != MeterQuery.SubjectDimension).Select(g => IndexOf(meter.GroupBy, g)).ToArray();
        string[] dimNames = query.GroupBy.Where(g => g != MeterQuery.SubjectDimension).ToArray();
        bool bySubject = query.GroupBy.Contains(MeterQuery.SubjectDimension);
        (int Index, string Value)[] filters = query.Filters.Select(f => (IndexOf(meter.GroupBy, f.Key), f.Value)).ToArray();
        var rows = new Dictionary<(DateTimeOffset Start, string? Subject, string Key), (Aggregate Aggregate, string[] Values)>();
        foreach (SubjectCell cell in cells)
        {
            if (cell.Minute < query.From || cell.Minute >= query.To)
            {
                continue;
            }

            string[] values = cell.GroupKey.Split(MeterReading.GroupSeparator);
            if (filters.Any(f => ValueAt(values, f.Index) != f.Value))
            {
                continue;
            }

            string[] grouped = dims.Select(d => ValueAt(values, d)).ToArray();
            DateTimeOffset start = query.WindowSize is { } size ? WindowStart(cell.Minute, size, query.TimeZone) : query.From;
            var key = (start, bySubject ? cell.Subject : null, string.Join(MeterReading.GroupSeparator, grouped));
            if (!rows.TryGetValue(key, out var row))
            {
                rows[key] = row = (new Aggregate(), grouped);
            }

            row.Aggregate.Merge(cell.Aggregate);
        }

        return [.. rows
            .OrderBy(r => r.Key.Start).ThenBy(r => r.Key.Subject, StringComparer.Ordinal).ThenBy(r => r.Key.Key, StringComparer.Ordinal)
            .Select(r => new MeterQueryRow(
                Max(r.Key.Start, query.From),
                query.WindowSize is { } size ? Min(WindowEnd(r.Key.Start, size, query.TimeZone), query.To) : query.To,
                r.Key.Subject,
                dimNames.Select((name, i) => (name, r.Value.Values[i])).ToDictionary(p => p.name, p => p.Item2, StringComparer.Ordinal),
                r.Value.Aggregate.Value(meter.Aggregation)))];
    }

    /// <summary>Where the window of <paramref name="size"/> holding <paramref name="instant"/> starts, on the wall clock of
    /// <paramref name="zone"/> (a day starts at local midnight, a month on its first day).</summary>
    public static DateTimeOffset WindowStart(DateTimeOffset instant, MeterWindowSize size, TimeZoneInfo zone)
    {
        DateTime local = TimeZoneInfo.ConvertTimeFromUtc(instant.UtcDateTime, zone);
        DateTime start = size switch
        {
            MeterWindowSize.Minute => new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute, 0),
            MeterWindowSize.Hour => new DateTime(local.Year, local.Month, local.Day, local.Hour, 0, 0),
            MeterWindowSize.Day => local.Date,
            _ => new DateTime(local.Year, local.Month, 1),
        };
        return ToUtc(start, zone);
    }

    public static DateTimeOffset WindowEnd(DateTimeOffset start, MeterWindowSize size, TimeZoneInfo zone)
    {
        DateTime local = TimeZoneInfo.ConvertTimeFromUtc(start.UtcDateTime, zone);
        return size switch
        {
            MeterWindowSize.Minute => start.AddMinutes(1),
            MeterWindowSize.Hour => start.AddHours(1),
            MeterWindowSize.Day => ToUtc(local.Date.AddDays(1), zone),
            _ => ToUtc(new DateTime(local.Year, local.Month, 1).AddMonths(1), zone),
        };
    }

    /// <summary>A wall-clock time as an instant; a time a clock change skips is read an hour later, an ambiguous one as
    /// standard time.</summary>
    private static DateTimeOffset ToUtc(DateTime local, TimeZoneInfo zone)
    {
        DateTime unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(unspecified))
        {
            unspecified = unspecified.AddHours(1);
        }

        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(unspecified, zone), TimeSpan.Zero);
    }

    private static string ValueAt(string[] values, int index) => index < values.Length ? values[index] : string.Empty;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

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
}
