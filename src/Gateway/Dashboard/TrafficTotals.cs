using Metering.Gateway.Operations;
using Metering.Grains.Quotas;
using Metering.Runtime.Diagnostics;
using Metering.Silo.Events;

namespace Metering.Gateway.Dashboard;

/// <summary>The running totals of this node's traffic at one instant; two readings give a <see cref="TrafficSample"/>.</summary>
public sealed record TrafficTotals(
    DateTimeOffset At,
    long EventsAccepted,
    long EventsRefused,
    IReadOnlyDictionary<string, long> RefusedByCode,
    long ConsumesAllowed,
    long ConsumesDenied,
    long Checks,
    long ChecksDenied,
    long Commits,
    long EventsWritten,
    long ServerErrors,
    HistogramSnapshot IngestLatency)
{
    /// <summary>The routes whose latency is the ingest latency.</summary>
    public static readonly string[] IngestRoutes = ["/v1/events", "/v1/events/batch"];

    public static TrafficTotals Read(DateTimeOffset at, GatewayMetrics metrics, PostgresEventLog log)
    {
        List<KeyValuePair<RequestLabels, HistogramSnapshot>> requests = [.. metrics.RequestDuration.Snapshot()];
        HistogramSnapshot ingest = requests
            .Where(r => r.Key.Method == "POST" && IngestRoutes.Contains(r.Key.Route))
            .Aggregate(HistogramSnapshot.Empty(Histogram.DurationBounds), (sum, r) => sum.Plus(r.Value));
        Dictionary<int, long> byStatus = metrics.EventsByStatus.ToDictionary();
        Dictionary<ConsumeStatus, long> consumes = metrics.Consumes.ToDictionary();
        return new TrafficTotals(
            at,
            byStatus.GetValueOrDefault(201),
            byStatus.Where(s => s.Key != 201).Sum(s => s.Value),
            metrics.EventsRejectedByCode.ToDictionary(),
            consumes[ConsumeStatus.Allowed],
            consumes[ConsumeStatus.Denied],
            metrics.ChecksAllowed + metrics.ChecksDenied,
            metrics.ChecksDenied,
            log.Commits,
            log.EventsWritten,
            requests.Where(r => r.Key.Status >= 500).Sum(r => r.Value.Count),
            ingest);
    }
}
