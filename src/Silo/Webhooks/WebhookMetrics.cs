using Metering.Runtime.Diagnostics;

namespace Metering.Silo.Webhooks;

/// <summary>This silo's delivery counters for /metrics: attempts by outcome and a histogram of their latency.</summary>
public sealed class WebhookMetrics
{
    private readonly long[] _outcomes = new long[Enum.GetValues<DeliveryOutcome>().Length];

    public IReadOnlyList<(DeliveryOutcome Outcome, long Count)> Outcomes
        => [.. Enum.GetValues<DeliveryOutcome>().Select(o => (o, Interlocked.Read(ref _outcomes[(int)o])))];

    /// <summary>Latency of delivery attempts, in seconds.</summary>
    public Histogram Latency { get; } = new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

    public void Count(DeliveryOutcome outcome) => Interlocked.Increment(ref _outcomes[(int)outcome]);

    public void Observe(double milliseconds) => Latency.Observe(milliseconds / 1000);
}
