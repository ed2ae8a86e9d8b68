using Metering.Runtime.Diagnostics;

namespace Metering.Gateway.Dashboard;

/// <summary>This node's traffic over one interval: rates per second, ingest latency quantiles, group-commit sizes, quota
/// denials and refusals by problem code.</summary>
public sealed record TrafficSample(
    DateTimeOffset At,
    double IngestRate,
    double RefusedRate,
    double? IngestP50Ms,
    double? IngestP99Ms,
    double ConsumeRate,
    double CheckRate,
    long QuotaDenials,
    double CommitRate,
    double? CommitSizeAvg,
    long ServerErrors,
    IReadOnlyDictionary<string, long> RefusedByCode,
    HistogramSnapshot IngestLatency)
{
    /// <summary>What happened between two readings of the totals.</summary>
    public static TrafficSample Between(TrafficTotals earlier, TrafficTotals later)
    {
        double seconds = Math.Max((later.At - earlier.At).TotalSeconds, 0.001);
        HistogramSnapshot latency = later.IngestLatency.Minus(earlier.IngestLatency);
        long commits = later.Commits - earlier.Commits;
        Dictionary<string, long> refused = later.RefusedByCode
            .Select(c => (c.Key, Count: c.Value - earlier.RefusedByCode.GetValueOrDefault(c.Key)))
            .Where(c => c.Count > 0)
            .ToDictionary(c => c.Key, c => c.Count);
        return new TrafficSample(
            later.At,
            (later.EventsAccepted - earlier.EventsAccepted) / seconds,
            (later.EventsRefused - earlier.EventsRefused) / seconds,
            latency.Quantile(0.5) * 1000,
            latency.Quantile(0.99) * 1000,
            (later.ConsumesAllowed + later.ConsumesDenied - earlier.ConsumesAllowed - earlier.ConsumesDenied) / seconds,
            (later.Checks - earlier.Checks) / seconds,
            later.ConsumesDenied - earlier.ConsumesDenied + later.ChecksDenied - earlier.ChecksDenied,
            commits / seconds,
            commits > 0 ? (double)(later.EventsWritten - earlier.EventsWritten) / commits : null,
            later.ServerErrors - earlier.ServerErrors,
            refused,
            latency);
    }
}
