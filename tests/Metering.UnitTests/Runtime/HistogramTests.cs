using Metering.Runtime.Diagnostics;

namespace Metering.UnitTests.Runtime;

public sealed class HistogramTests
{
    [Fact]
    public void Buckets_are_cumulative_an_exact_bound_counts_in_its_own_bucket_and_the_rest_go_to_inf()
    {
        var histogram = new Histogram([1, 2, 5]);
        foreach (double v in new[] { 0.5, 1, 1.5, 2, 3, 7, 100 })
        {
            histogram.Observe(v);
        }

        HistogramSnapshot s = histogram.Snapshot();
        Assert.Equal([2L, 4L, 5L, 7L], s.Cumulative);
        Assert.Equal(7, s.Count);
        Assert.Equal(115, s.Sum);
    }

    [Fact]
    public void Quantiles_interpolate_within_their_bucket_and_are_null_without_observations()
    {
        var histogram = new Histogram([10, 20]);
        Assert.Null(histogram.Snapshot().Quantile(0.5));
        for (int i = 0; i < 10; i++)
        {
            histogram.Observe(15);
        }

        HistogramSnapshot s = histogram.Snapshot();
        Assert.Equal(15, s.Quantile(0.5));
        Assert.Equal(19.9, s.Quantile(0.99)!.Value, 6);
        histogram.Observe(1000);
        Assert.Equal(20, histogram.Snapshot().Quantile(1)); // in +Inf: reported as the highest bound
    }

    [Fact]
    public void Differences_and_sums_of_readings_are_what_was_observed_between_them()
    {
        var histogram = new Histogram([1, 2]);
        histogram.Observe(0.5);
        HistogramSnapshot before = histogram.Snapshot();
        histogram.Observe(1.5);
        histogram.Observe(9);
        HistogramSnapshot delta = histogram.Snapshot().Minus(before);
        Assert.Equal([0L, 1L, 2L], delta.Cumulative);
        Assert.Equal(10.5, delta.Sum);
        HistogramSnapshot both = delta.Plus(before);
        Assert.Equal(histogram.Snapshot(), both with { Cumulative = both.Cumulative }, new SnapshotComparer());
        Assert.Equal(0, HistogramSnapshot.Empty([1, 2]).Count);
    }

    [Fact]
    public void Bounds_must_ascend_and_a_family_caps_its_series()
    {
        Assert.Throws<ArgumentException>(() => new Histogram([2, 1]));
        var family = new HistogramFamily<string>([1], "other", maxSeries: 2);
        family["a"].Observe(1);
        family["b"].Observe(1);
        family["c"].Observe(1);
        family["d"].Observe(1);
        family["a"].Observe(1);
        Dictionary<string, HistogramSnapshot> series = family.Snapshot().ToDictionary();
        Assert.Equal(["a", "b", "other"], series.Keys.Order());
        Assert.Equal(2, series["other"].Count);
        Assert.Equal(2, series["a"].Count);
    }

    [Fact]
    public async Task Concurrent_observations_are_all_counted()
    {
        var histogram = new Histogram(Histogram.DurationBounds);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                histogram.Observe(0.001);
            }
        })));
        HistogramSnapshot s = histogram.Snapshot();
        Assert.Equal(40_000, s.Count);
        Assert.Equal(40, s.Sum, 6);
    }

    private sealed class SnapshotComparer : IEqualityComparer<HistogramSnapshot>
    {
        public bool Equals(HistogramSnapshot? x, HistogramSnapshot? y) => x!.Cumulative.SequenceEqual(y!.Cumulative) && Math.Abs(x.Sum - y.Sum) < 1e-9;

        public int GetHashCode(HistogramSnapshot obj) => obj.Count.GetHashCode();
    }
}
