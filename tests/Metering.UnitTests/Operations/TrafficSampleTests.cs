using Metering.Gateway.Dashboard;
using Metering.Gateway.Operations;
using Metering.Runtime.Diagnostics;

namespace Metering.UnitTests.Operations;

public sealed class TrafficSampleTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_sample_is_the_rates_and_quantiles_of_what_happened_between_two_readings()
    {
        var latency = new Histogram([0.01, 0.1, 1]);
        latency.Observe(0.005);
        TrafficTotals earlier = Totals(s_t0, accepted: 100, refused: 1, codes: new() { ["DUPLICATE_EVENT"] = 1 }, commits: 10, written: 100, latency.Snapshot());
        for (int i = 0; i < 98; i++)
        {
            latency.Observe(0.05);
        }

        latency.Observe(0.5);
        latency.Observe(0.5);
        TrafficTotals later = Totals(s_t0.AddSeconds(2), accepted: 1100, refused: 5, codes: new() { ["DUPLICATE_EVENT"] = 3, ["UNKNOWN_SUBJECT"] = 2 }, commits: 14, written: 1100, latency.Snapshot());

        TrafficSample sample = TrafficSample.Between(earlier, later);
        Assert.Equal(500, sample.IngestRate);
        Assert.Equal(2, sample.RefusedRate);
        Assert.Equal(250, sample.CommitSizeAvg);
        Assert.Equal(2, sample.CommitRate);
        Assert.InRange(sample.IngestP50Ms!.Value, 10, 100);
        Assert.InRange(sample.IngestP99Ms!.Value, 100, 1000);
        Assert.Equal(new Dictionary<string, long> { ["DUPLICATE_EVENT"] = 2, ["UNKNOWN_SUBJECT"] = 2 }, sample.RefusedByCode);
        Assert.Equal(3, sample.QuotaDenials);
        Assert.Equal(1, sample.ServerErrors);
    }

    [Fact]
    public void A_quiet_interval_has_zero_rates_and_no_latency_or_commit_size()
    {
        HistogramSnapshot none = HistogramSnapshot.Empty([1]);
        TrafficTotals t = Totals(s_t0, 5, 0, [], 1, 5, none);
        TrafficSample sample = TrafficSample.Between(t, t with { At = s_t0.AddSeconds(1) });
        Assert.Equal(0, sample.IngestRate);
        Assert.Null(sample.IngestP50Ms);
        Assert.Null(sample.CommitSizeAvg);
        Assert.Empty(sample.RefusedByCode);
    }

    [Fact]
    public void Prometheus_text_writes_histograms_cumulatively_and_escapes_labels()
    {
        var h = new Histogram([1, 2]);
        h.Observe(1.5);
        string text = new PrometheusText()
            .Histogram("x_seconds", "X.", [(PrometheusText.Label("route", "/a\"b\\c\nd"), h.Snapshot())])
            .Gauge("g", "G.", 3)
            .ToString();
        Assert.Equal("""
            # HELP x_seconds X.
            # TYPE x_seconds histogram
            x_seconds_bucket{route="/a\"b\\c\nd",le="1"} 0
            x_seconds_bucket{route="/a\"b\\c\nd",le="2"} 1
            x_seconds_bucket{route="/a\"b\\c\nd",le="+Inf"} 1
            x_seconds_sum{route="/a\"b\\c\nd"} 1.5
            x_seconds_count{route="/a\"b\\c\nd"} 1
            # HELP g G.
            # TYPE g gauge
            g 3

            """.Replace("\r", "", StringComparison.Ordinal), text);
    }

    private static TrafficTotals Totals(DateTimeOffset at, long accepted, long refused, Dictionary<string, long> codes, long commits, long written, HistogramSnapshot latency)
        => new(at, accepted, refused, codes, ConsumesAllowed: 0, ConsumesDenied: at == s_t0 ? 0 : 2, Checks: 0, ChecksDenied: at == s_t0 ? 0 : 1, commits, written, ServerErrors: at == s_t0 ? 0 : 1, latency);
}
