using System.Collections.Concurrent;
using Metering.Gateway.Events;
using Metering.Grains.Quotas;
using Metering.Runtime.Diagnostics;

namespace Metering.Gateway.Operations;

/// <summary>What the gateway counts for /metrics and the dashboard. Every label is bounded: routes are the endpoints'
/// templates (never a path with ids in it), statuses are HTTP codes, problem codes are the API's constants.</summary>
public sealed class GatewayMetrics
{
    private readonly long[] _byStatus = new long[600];
    private readonly ConcurrentDictionary<string, long> _rejectedByCode = new();
    private readonly long[] _consumes = new long[Enum.GetValues<ConsumeStatus>().Length];
    private long _checksAllowed;
    private long _checksDenied;

    /// <summary>Request durations by route template, method and status.</summary>
    public HistogramFamily<RequestLabels> RequestDuration { get; } = new(Histogram.DurationBounds, new RequestLabels("other", "other", 0), maxSeries: 400);

    public IEnumerable<KeyValuePair<int, long>> EventsByStatus
        => _byStatus.Select((v, i) => new KeyValuePair<int, long>(i, Interlocked.Read(ref _byStatus[i]))).Where(p => p.Value > 0);

    /// <summary>Events refused, by problem code.</summary>
    public IEnumerable<KeyValuePair<string, long>> EventsRejectedByCode => _rejectedByCode.OrderBy(p => p.Key, StringComparer.Ordinal);

    /// <summary>Consume answers by outcome (allowed, denied, ...).</summary>
    public IEnumerable<KeyValuePair<ConsumeStatus, long>> Consumes
        => Enum.GetValues<ConsumeStatus>().Select(s => new KeyValuePair<ConsumeStatus, long>(s, Interlocked.Read(ref _consumes[(int)s])));

    public long ChecksAllowed => Interlocked.Read(ref _checksAllowed);

    public long ChecksDenied => Interlocked.Read(ref _checksDenied);

    public void CountEvents(IEnumerable<EventResult> results)
    {
        foreach (EventResult r in results)
        {
            Interlocked.Increment(ref _byStatus[r.Status]);
            if (r.Error is { } error)
            {
                _rejectedByCode.AddOrUpdate(error.Code, 1, (_, n) => n + 1);
            }
        }
    }

    public void CountConsume(ConsumeStatus status) => Interlocked.Increment(ref _consumes[(int)status]);

    public void CountCheck(bool allowed) => Interlocked.Increment(ref allowed ? ref _checksAllowed : ref _checksDenied);
}
