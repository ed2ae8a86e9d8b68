namespace Metering.Runtime.Diagnostics;

/// <summary>What the runtime measures about grain turns: their duration by grain type (the interface name, so the label
/// values are bounded by the registered types), and calls per activation for finding hot grains.</summary>
public sealed class GrainMetrics
{
    public HistogramFamily<string> TurnDuration { get; } = new(Histogram.DurationBounds, "other", maxSeries: 64);
}
