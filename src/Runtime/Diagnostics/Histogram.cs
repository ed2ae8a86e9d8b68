namespace Metering.Runtime.Diagnostics;

/// <summary>A histogram with fixed upper bounds, safe to observe from any thread without locks. Counts are kept per bucket
/// and made cumulative when read, as Prometheus expects.</summary>
public sealed class Histogram
{
    private readonly double[] _bounds;
    private readonly long[] _counts;
    private long _sumBits;

    /// <summary>A histogram with these upper bounds (ascending); a last bucket, +Inf, holds the rest.</summary>
    public Histogram(IReadOnlyList<double> bounds)
    {
        _bounds = [.. bounds];
        for (int i = 1; i < _bounds.Length; i++)
        {
            if (_bounds[i] <= _bounds[i - 1])
            {
                throw new ArgumentException("Bounds must be strictly ascending.", nameof(bounds));
            }
        }

        _counts = new long[_bounds.Length + 1];
    }

    /// <summary>Bounds for durations in seconds: 100 µs to 10 s.</summary>
    public static IReadOnlyList<double> DurationBounds { get; } = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Bounds for sizes (events per commit, items per batch): 1 to 10,000.</summary>
    public static IReadOnlyList<double> SizeBounds { get; } = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    public void Observe(double value)
    {
        int index = Array.BinarySearch(_bounds, value);
        // An exact bound belongs to its own bucket (le is "less than or equal"); otherwise the first bound above it.
        Interlocked.Increment(ref _counts[index >= 0 ? index : ~index]);
        long current, next;
        do
        {
            current = Interlocked.Read(ref _sumBits);
            next = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(current) + value);
        }
        while (Interlocked.CompareExchange(ref _sumBits, next, current) != current);
    }

    /// <summary>Observes the seconds elapsed since <paramref name="startTimestamp"/> on <paramref name="time"/>.</summary>
    public void ObserveSince(TimeProvider time, long startTimestamp) => Observe(time.GetElapsedTime(startTimestamp).TotalSeconds);

    /// <summary>A consistent-enough reading: cumulative bucket counts, their total and the sum of values.</summary>
    public HistogramSnapshot Snapshot()
    {
        var cumulative = new long[_counts.Length];
        long running = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            running += Interlocked.Read(ref _counts[i]);
            cumulative[i] = running;
        }

        return new HistogramSnapshot(_bounds, cumulative, BitConverter.Int64BitsToDouble(Interlocked.Read(ref _sumBits)));
    }
}
