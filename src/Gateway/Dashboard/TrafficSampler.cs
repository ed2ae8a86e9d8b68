using Metering.Gateway.Operations;
using Metering.Silo.Events;

namespace Metering.Gateway.Dashboard;

/// <summary>Reads this node's traffic totals every second and keeps the last five minutes of samples, so the dashboard
/// shows a history as soon as it opens.</summary>
public sealed class TrafficSampler(GatewayMetrics metrics, PostgresEventLog log, TimeProvider time) : BackgroundService
{
    public const int Capacity = 300;

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly Queue<TrafficSample> _samples = new();
    private TrafficTotals? _last;

    /// <summary>The samples kept, oldest first.</summary>
    public IReadOnlyList<TrafficSample> Samples
    {
        get
        {
            lock (_lock)
            {
                return [.. _samples];
            }
        }
    }

    /// <summary>The totals now, and the sample since the last reading (none at the first).</summary>
    public TrafficTotals SampleNow()
    {
        TrafficTotals now = TrafficTotals.Read(time.GetUtcNow(), metrics, log);
        lock (_lock)
        {
            if (_last is not null)
            {
                _samples.Enqueue(TrafficSample.Between(_last, now));
                while (_samples.Count > Capacity)
                {
                    _samples.Dequeue();
                }
            }

            _last = now;
        }

        return now;
    }

    /// <summary>The totals now, without taking a sample.</summary>
    public TrafficTotals Totals() => TrafficTotals.Read(time.GetUtcNow(), metrics, log);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        SampleNow();
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                SampleNow();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
