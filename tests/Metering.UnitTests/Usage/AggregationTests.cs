using System.Text.Json;
using Metering.Grains.Catalog;
using Metering.Grains.Usage;

namespace Metering.UnitTests.Usage;

public sealed class AggregationTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);

    private static readonly string[] s_events =
    [
        """{"usage":{"tokens":100},"model":"gpt-4","user":"a"}""",
        """{"usage":{"tokens":"250.5"},"model":"gpt-4","user":"b"}""",
        """{"usage":{"tokens":50},"model":"claude","user":"a"}""",
        """{"usage":{"tokens":"n/a"},"model":"claude","user":"c"}""",
        """{"model":"claude"}""",
    ];

    private static Meter M(Aggregation aggregation, string? path = "usage.tokens") => new("m", "e", aggregation, aggregation == Aggregation.Count ? null : path, ["model"], s_t0);

    private static (decimal? Value, long Events) Run(Meter meter, params int[] minuteOffsets)
    {
        var aggregate = new Aggregate();
        for (int i = 0; i < s_events.Length; i++)
        {
            using JsonDocument doc = JsonDocument.Parse(s_events[i]);
            if (MeterReading.TryRead(meter, doc.RootElement, out decimal n, out string? u))
            {
                aggregate.Add(meter.Aggregation, n, u, s_t0.AddMinutes(minuteOffsets.Length > i ? minuteOffsets[i] : i), i + 1);
            }
        }

        return (aggregate.Value(meter.Aggregation), aggregate.Count);
    }

    [Theory]
    [InlineData(Aggregation.Count, "5", 5)]
    [InlineData(Aggregation.Sum, "400.5", 3)]
    [InlineData(Aggregation.Max, "250.5", 3)]
    [InlineData(Aggregation.Min, "50", 3)]
    [InlineData(Aggregation.Latest, "50", 3)]
    [InlineData(Aggregation.Avg, "133.5", 3)]
    public void Each_aggregation_counts_only_events_with_a_numeric_value(Aggregation aggregation, string expected, long events)
    {
        (decimal? value, long count) = Run(M(aggregation));
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
        Assert.Equal(events, count);
    }

    [Fact]
    public void Unique_count_counts_distinct_values()
    {
        (decimal? value, _) = Run(M(Aggregation.UniqueCount, "user"));
        Assert.Equal(3m, value); // a, b, c; the event without a user does not count
    }

    [Fact]
    public void Latest_is_by_event_timestamp_not_arrival()
    {
        // The first event (100) carries the newest timestamp.
        (decimal? value, _) = Run(M(Aggregation.Latest), 60, 1, 2, 3, 4);
        Assert.Equal(100m, value);
    }

    [Fact]
    public void Min_max_latest_over_no_events_have_no_value()
    {
        Assert.Null(new Aggregate().Value(Aggregation.Max));
        Assert.Null(new Aggregate().Value(Aggregation.Latest));
        Assert.Equal(0m, new Aggregate().Value(Aggregation.Sum));
    }

    [Fact]
    public void Merging_equals_adding_everything_to_one()
    {
        var a = new Aggregate();
        var b = new Aggregate();
        var all = new Aggregate();
        decimal[] values = [5, 1, 9, 3, 7];
        for (int i = 0; i < values.Length; i++)
        {
            foreach (Aggregate target in new[] { i % 2 == 0 ? a : b, all })
            {
                target.Add(Aggregation.Sum, values[i], null, s_t0.AddMinutes(i), i);
            }
        }

        a.Merge(b);
        Assert.Equal(all.Sum, a.Sum);
        Assert.Equal(all.Count, a.Count);
    }

    [Fact]
    public void Usage_is_windowed_by_hour_and_day_and_grouped_per_dimension()
    {
        Meter meter = new("tokens", "e", Aggregation.Sum, "tokens", ["model", "region"], s_t0);
        HourlyCell Cell(int hour, string model, string region, decimal tokens)
        {
            var aggregate = new Aggregate();
            aggregate.Add(Aggregation.Sum, tokens, null, s_t0.AddHours(hour), hour);
            return new HourlyCell(s_t0.AddHours(hour), model + MeterReading.GroupSeparator + region, aggregate);
        }

        HourlyCell[] cells = [Cell(0, "gpt-4", "eu", 10), Cell(0, "claude", "us", 5), Cell(1, "gpt-4", "us", 7), Cell(20, "gpt-4", "eu", 1)];
        var query = new UsageQuery("tokens", s_t0, s_t0.AddHours(15), UsageWindow.Hour, ["model"]);
        UsageResult hourly = UsageCalculator.Build(meter, query, cells);
        Assert.Equal(22m, hourly.Value); // the cell at hour 20 is outside the range
        Assert.Equal(2, hourly.Windows.Count);
        Assert.Equal(15m, hourly.Windows[0].Value);
        Assert.Equal(10m, hourly.Windows[0].Groups!["model"]["gpt-4"]);
        Assert.Equal(17m, hourly.Groups!["model"]["gpt-4"]);
        Assert.False(hourly.Groups.ContainsKey("region"));

        UsageResult daily = UsageCalculator.Build(meter, query with { Window = UsageWindow.Day, GroupBy = [] }, cells);
        UsageWindowResult day = Assert.Single(daily.Windows);
        Assert.Equal(22m, day.Value);
        Assert.Equal(s_t0, day.Start); // clipped to the range
        Assert.Null(daily.Groups);
    }

    [Fact]
    public void An_average_merged_from_parts_is_the_average_of_all_their_events_and_none_over_no_events()
    {
        var first = new Aggregate();
        first.Add(Aggregation.Avg, 1, null, s_t0, 1);
        first.Add(Aggregation.Avg, 2, null, s_t0, 2);
        var second = new Aggregate();
        second.Add(Aggregation.Avg, 9, null, s_t0, 3);
        first.Merge(second);
        Assert.Equal(4m, first.Value(Aggregation.Avg));
        Assert.Null(new Aggregate().Value(Aggregation.Avg));
    }
}
