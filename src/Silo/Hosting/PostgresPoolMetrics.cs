using System.Diagnostics;
using System.Diagnostics.Metrics;
using Metering.Runtime.Diagnostics;

namespace Metering.Silo.Hosting;

/// <summary>The connection pool of this silo's data source, read from Npgsql's own instruments: connections in use and idle,
/// requests waiting for a connection (pool waits), waits that timed out, and the time to open a physical connection.
/// Npgsql publishes no per-wait duration, only the count of waiters as it goes up and down; the wait durations are timed from
/// those steps, pairing each end with the oldest waiter (Npgsql serves waiters in arrival order). Their sum is exact however
/// the pairing falls (it is the waiters' count integrated over time); each single duration is exact for first-come waits.</summary>
public sealed class PostgresPoolMetrics : IDisposable
{
    private const string PoolNameTag = "db.client.connection.pool.name";
    private const string StateTag = "db.client.connection.state";

    private readonly MeterListener _listener = new();
    private readonly string _poolName;
    private readonly Queue<long> _waitStarts = new();
    private long _pending;
    private long _maxPending;
    private long _timeouts;
    private long _idle;
    private long _used;

    public PostgresPoolMetrics(string poolName)
    {
        _poolName = poolName;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Npgsql")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        _listener.Start();
    }

    /// <summary>Seconds to open a new physical connection.</summary>
    public Histogram ConnectionCreateTime { get; } = new(Histogram.DurationBounds);

    /// <summary>Seconds a request waited for a pooled connection (one observation per wait that ended, served or timed out).</summary>
    public Histogram PoolWait { get; } = new(Histogram.DurationBounds);

    /// <summary>Requests waiting for a pooled connection now.</summary>
    public long PendingRequests => Interlocked.Read(ref _pending);

    /// <summary>The most requests ever seen waiting at once.</summary>
    public long MaxPendingRequests => Interlocked.Read(ref _maxPending);

    /// <summary>Waits for a connection that timed out.</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    /// <summary>Reads the observable instruments (connections idle and in use) now.</summary>
    public void Refresh() => _listener.RecordObservableInstruments();

    public long IdleConnections => Interlocked.Read(ref _idle);

    public long UsedConnections => Interlocked.Read(ref _used);

    private void Record(string instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? pool = null;
        string? state = null;
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (tag.Key == PoolNameTag)
            {
                pool = tag.Value as string;
            }
            else if (tag.Key == StateTag)
            {
                state = tag.Value as string;
            }
        }

        if (pool != _poolName)
        {
            return;
        }

        switch (instrument)
        {
            case "db.client.connection.npgsql.pending_requests":
                long now = Interlocked.Add(ref _pending, (long)value);
                InterlockedMax(ref _maxPending, now);
                TimeWaits((long)value);
                break;
            case "db.client.connection.npgsql.timeouts":
                Interlocked.Add(ref _timeouts, (long)value);
                break;
            // An observable instrument: each reading is the current value, not a change.
            case "db.client.connection.count" when state == "idle":
                Interlocked.Exchange(ref _idle, (long)value);
                break;
            case "db.client.connection.count" when state == "used":
                Interlocked.Exchange(ref _used, (long)value);
                break;
            case "db.client.connection.npgsql.create_time":
                ConnectionCreateTime.Observe(value);
                break;
        }
    }

    /// <summary>A step of the waiters' count: +n starts n waits now, -n ends the n oldest.</summary>
    private void TimeWaits(long step)
    {
        long at = Stopwatch.GetTimestamp();
        lock (_waitStarts)
        {
            for (; step > 0; step--)
            {
                _waitStarts.Enqueue(at);
            }

            for (; step < 0 && _waitStarts.TryDequeue(out long start); step++)
            {
                PoolWait.Observe(Stopwatch.GetElapsedTime(start, at).TotalSeconds);
            }
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    public void Dispose() => _listener.Dispose();
}
