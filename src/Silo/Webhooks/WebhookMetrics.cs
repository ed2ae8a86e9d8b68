namespace Metering.Silo.Webhooks;

/// <summary>This silo's delivery counters for /metrics: attempts by outcome and a histogram of their latency.</summary>
public sealed class WebhookMetrics
{
    /// <summary>Upper bounds of the latency buckets, in seconds.</summary>
    public static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly long[] _outcomes = new long[Enum.GetValues<DeliveryOutcome>().Length];
    private readonly long[] _buckets = new long[Buckets.Length + 1];
    private long _count;
    private long _sumMicroseconds;

    public IReadOnlyList<(DeliveryOutcome Outcome, long Count)> Outcomes
        => [.. Enum.GetValues<DeliveryOutcome>().Select(o => (o, Interlocked.Read(ref _outcomes[(int)o])))];

    /// <summary>Cumulative counts per bucket (the last one is +Inf), the number of observations and their sum in seconds.</summary>
    public (IReadOnlyList<long> Cumulative, long Count, double Sum) Latency
    {
        get
        {
            var cumulative = new long[_buckets.Length];
            long running = 0;
            for (int i = 0; i < _buckets.Length; i++)
            {
                running += Interlocked.Read(ref _buckets[i]);
                cumulative[i] = running;
            }

            return (cumulative, Interlocked.Read(ref _count), Interlocked.Read(ref _sumMicroseconds) / 1e6);
        }
    }

    public void Count(DeliveryOutcome outcome) => Interlocked.Increment(ref _outcomes[(int)outcome]);

    public void Observe(double milliseconds)
    {
        double seconds = milliseconds / 1000;
        int bucket = Array.FindIndex(Buckets, b => seconds <= b);
        Interlocked.Increment(ref _buckets[bucket < 0 ? Buckets.Length : bucket]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sumMicroseconds, (long)(milliseconds * 1000));
    }
}
