using Metering.Grains.Catalog;
using Metering.Grains.Usage;

namespace Metering.UnitTests.Usage;

/// <summary>Meter queries from minute cells: windows in a time zone (daylight saving included), grouping by subject and by
/// properties, filters, and an average that is never a mean of means.</summary>
public sealed class MeterQueryCalculatorTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 3, 29, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeZoneInfo s_paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    private static Meter M(Aggregation aggregation) => new("tokens", "tokens", aggregation, "n", ["model", "type"], s_t0);

    private static SubjectCell Cell(int minute, string subject, string model, string type, params decimal[] values)
    {
        var aggregate = new Aggregate();
        foreach (decimal v in values)
        {
            aggregate.Add(Aggregation.Avg, v, null, s_t0.AddMinutes(minute), minute);
        }

        return new SubjectCell(s_t0.AddMinutes(minute), subject, model + MeterReading.GroupSeparator + type, aggregate);
    }

    private static readonly SubjectCell[] s_cells =
    [
        Cell(0, "a", "gpt-4", "in", 10, 20),
        Cell(1, "a", "gpt-4", "out", 30),
        Cell(1, "b", "claude", "in", 5),
        Cell(200, "b", "gpt-4", "in", 100),
    ];

    private static MeterQuery Q(MeterWindowSize? size = null, TimeZoneInfo? zone = null, string[]? groupBy = null, Dictionary<string, string>? filters = null)
        => new(s_t0, s_t0.AddDays(2), size, zone ?? TimeZoneInfo.Utc, [], groupBy ?? [], filters ?? []);

    [Fact]
    public void An_average_over_a_window_is_the_sum_over_the_count_of_its_events()
    {
        MeterQueryRow row = Assert.Single(MeterQueryCalculator.Build(M(Aggregation.Avg), Q(), s_cells));
        Assert.Equal(165m / 5, row.Value);
        Assert.Equal((s_t0, s_t0.AddDays(2)), (row.WindowStart, row.WindowEnd));
        IReadOnlyList<MeterQueryRow> perMinute = MeterQueryCalculator.Build(M(Aggregation.Avg), Q(MeterWindowSize.Minute), s_cells);
        Assert.Equal([15m, 17.5m, 100m], perMinute.Select(r => r.Value));
        Assert.Equal(s_t0.AddMinutes(2), perMinute[1].WindowEnd);
    }

    [Fact]
    public void Rows_group_by_subject_and_properties_and_filters_keep_only_matching_cells()
    {
        IReadOnlyList<MeterQueryRow> rows = MeterQueryCalculator.Build(M(Aggregation.Avg), Q(groupBy: ["subject", "model"]), s_cells);
        Assert.Equal([("a", "gpt-4", 20m), ("b", "claude", 5m), ("b", "gpt-4", 100m)], rows.Select(r => (r.Subject!, r.GroupBy["model"], r.Value!.Value)));
        MeterQueryRow filtered = Assert.Single(MeterQueryCalculator.Build(M(Aggregation.Avg), Q(filters: new() { ["type"] = "in" }, groupBy: ["type"]), s_cells));
        Assert.Equal(135m / 4, filtered.Value);
        Assert.Null(filtered.Subject);
        Assert.Equal("in", filtered.GroupBy["type"]);
    }

    [Fact]
    public void Day_windows_follow_the_time_zone_across_a_change_to_summer_time()
    {
        // 2026-03-29 is 23 hours long in Paris: its day starts at 23:00 UTC the day before and ends at 22:00 UTC.
        IReadOnlyList<MeterQueryRow> rows = MeterQueryCalculator.Build(M(Aggregation.Avg), Q(MeterWindowSize.Day, s_paris), s_cells);
        MeterQueryRow day = Assert.Single(rows);
        Assert.Equal(s_t0, day.WindowStart);
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 22, 0, 0, TimeSpan.Zero), day.WindowEnd);
        Assert.Equal(new DateTimeOffset(2026, 3, 28, 23, 0, 0, TimeSpan.Zero), MeterQueryCalculator.WindowStart(s_t0, MeterWindowSize.Day, s_paris));
        Assert.Equal(new DateTimeOffset(2026, 2, 28, 23, 0, 0, TimeSpan.Zero), MeterQueryCalculator.WindowStart(s_t0, MeterWindowSize.Month, s_paris));
        Assert.Equal(new DateTimeOffset(2026, 3, 31, 22, 0, 0, TimeSpan.Zero),
            MeterQueryCalculator.WindowEnd(MeterQueryCalculator.WindowStart(s_t0, MeterWindowSize.Month, s_paris), MeterWindowSize.Month, s_paris));
        Assert.Equal(s_t0.AddHours(3), MeterQueryCalculator.WindowStart(s_t0.AddMinutes(200), MeterWindowSize.Hour, s_paris));
    }

    [Fact]
    public void A_sum_count_and_the_minute_of_a_usage_window_come_from_the_same_cells()
    {
        IReadOnlyList<MeterQueryRow> sums = MeterQueryCalculator.Build(M(Aggregation.Sum), Q(MeterWindowSize.Hour), s_cells);
        Assert.Equal([65m, 100m], sums.Select(r => r.Value));
        Assert.Equal([4m, 1m], MeterQueryCalculator.Build(M(Aggregation.Count), Q(MeterWindowSize.Hour), s_cells).Select(r => r.Value!.Value));
        Assert.Equal(s_t0.AddMinutes(1), UsageCalculator.WindowStart(s_t0.AddSeconds(119), UsageWindow.Minute));
        Assert.Throws<ArgumentException>(() => MeterQueryCalculator.Build(M(Aggregation.Sum), Q(groupBy: ["nope"]), s_cells));
    }
}
