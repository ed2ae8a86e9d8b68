using Metering.Runtime.Diagnostics;

namespace Metering.Gateway.Dashboard;

public sealed record TrafficSampleJson(string? At, double IngestRate, double RefusedRate, double? IngestP50Ms, double? IngestP99Ms, double ConsumeRate, double CheckRate,
    long QuotaDenials, double CommitRate, double? CommitSizeAvg, long ServerErrors, IReadOnlyDictionary<string, long> RefusedByCode, IReadOnlyList<long> IngestLatency)
{
    public static TrafficSampleJson Of(TrafficSample s) => new(Infrastructure.Wire.Time(s.At), s.IngestRate, s.RefusedRate, s.IngestP50Ms, s.IngestP99Ms,
        s.ConsumeRate, s.CheckRate, s.QuotaDenials, s.CommitRate, s.CommitSizeAvg, s.ServerErrors, s.RefusedByCode, s.IngestLatency.Cumulative);

    /// <summary>Samples of several nodes over about the same interval as one: rates and counts added, latency quantiles from
    /// the added histograms (over <paramref name="bounds"/>), the commit size weighted by each node's commits.</summary>
    public static TrafficSampleJson Sum(IReadOnlyList<TrafficSampleJson> samples, IReadOnlyList<double> bounds)
    {
        HistogramSnapshot latency = samples.Aggregate(HistogramSnapshot.Empty(bounds), (sum, s) => sum.Plus(new HistogramSnapshot(bounds, s.IngestLatency, 0)));
        double commits = samples.Sum(s => s.CommitRate);
        double written = samples.Sum(s => s.CommitRate * (s.CommitSizeAvg ?? 0));
        return new TrafficSampleJson(
            samples.Max(s => s.At),
            samples.Sum(s => s.IngestRate),
            samples.Sum(s => s.RefusedRate),
            latency.Quantile(0.5) * 1000,
            latency.Quantile(0.99) * 1000,
            samples.Sum(s => s.ConsumeRate),
            samples.Sum(s => s.CheckRate),
            samples.Sum(s => s.QuotaDenials),
            commits,
            commits > 0 ? written / commits : null,
            samples.Sum(s => s.ServerErrors),
            Merge(samples.Select(s => s.RefusedByCode)),
            latency.Cumulative);
    }

    public static IReadOnlyDictionary<string, long> Merge(IEnumerable<IReadOnlyDictionary<string, long>> counts)
        => counts.SelectMany(c => c).GroupBy(c => c.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(c => c.Value), StringComparer.Ordinal);
}
