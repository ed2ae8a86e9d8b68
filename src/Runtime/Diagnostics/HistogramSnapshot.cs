namespace Metering.Runtime.Diagnostics;

/// <summary>A histogram read: <see cref="Cumulative"/>[i] counts values ≤ <see cref="Bounds"/>[i]; the last entry counts all.</summary>
public sealed record HistogramSnapshot(IReadOnlyList<double> Bounds, IReadOnlyList<long> Cumulative, double Sum)
{
    public long Count => Cumulative[^1];

    /// <summary>What was observed between <paramref name="earlier"/> and this reading of the same histogram.</summary>
    public HistogramSnapshot Minus(HistogramSnapshot earlier)
        => new(Bounds, [.. Cumulative.Select((c, i) => c - earlier.Cumulative[i])], Sum - earlier.Sum);

    /// <summary>Two histograms with the same bounds as one.</summary>
    public HistogramSnapshot Plus(HistogramSnapshot other)
        => new(Bounds, [.. Cumulative.Select((c, i) => c + other.Cumulative[i])], Sum + other.Sum);

    /// <summary>A histogram with no observations.</summary>
    public static HistogramSnapshot Empty(IReadOnlyList<double> bounds) => new(bounds, new long[bounds.Count + 1], 0);

    /// <summary>The q-quantile (0..1) by linear interpolation inside its bucket, as Prometheus' histogram_quantile does;
    /// null without observations. A quantile in the +Inf bucket is reported as the highest bound.</summary>
    public double? Quantile(double q)
    {
        if (Count == 0)
        {
            return null;
        }

        double rank = q * Count;
        for (int i = 0; i < Bounds.Count; i++)
        {
            if (Cumulative[i] >= rank)
            {
                double lower = i == 0 ? 0 : Bounds[i - 1];
                long below = i == 0 ? 0 : Cumulative[i - 1];
                long inBucket = Cumulative[i] - below;
                return inBucket == 0 ? lower : lower + ((Bounds[i] - lower) * (rank - below) / inBucket);
            }
        }

        return Bounds[^1];
    }
}
