using System.Collections.Concurrent;

namespace Metering.Runtime.Diagnostics;

/// <summary>Histograms of one metric, one per label value. The number of label values is capped, so a caller that passes an
/// unbounded value (an id) cannot grow memory or a scrape without limit: past the cap, observations go to <see cref="Overflow"/>.</summary>
public sealed class HistogramFamily<TLabels> where TLabels : notnull
{
    private readonly ConcurrentDictionary<TLabels, Histogram> _histograms = new();
    private readonly IReadOnlyList<double> _bounds;
    private readonly int _maxSeries;
    private readonly TLabels _overflow;

    public HistogramFamily(IReadOnlyList<double> bounds, TLabels overflow, int maxSeries = 200)
    {
        _bounds = bounds;
        _overflow = overflow;
        _maxSeries = maxSeries;
    }

    /// <summary>The label value observations go to once the cap is reached.</summary>
    public TLabels Overflow => _overflow;

    public Histogram this[TLabels labels]
    {
        get
        {
            if (_histograms.TryGetValue(labels, out Histogram? histogram))
            {
                return histogram;
            }

            return _histograms.Count >= _maxSeries
                ? _histograms.GetOrAdd(_overflow, _ => new Histogram(_bounds))
                : _histograms.GetOrAdd(labels, _ => new Histogram(_bounds));
        }
    }

    public IEnumerable<KeyValuePair<TLabels, HistogramSnapshot>> Snapshot()
        => _histograms.Select(h => new KeyValuePair<TLabels, HistogramSnapshot>(h.Key, h.Value.Snapshot())).ToList();
}
