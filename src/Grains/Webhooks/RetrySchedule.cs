namespace Metering.Grains.Webhooks;

/// <summary>When a failed delivery is tried again: exponential backoff, <see cref="BaseDelay"/> × 2^(failures − 1) capped
/// at <see cref="MaxDelay"/>, each delay moved by up to ±<see cref="Jitter"/> of itself so that endpoints that failed together
/// are not retried together. After <see cref="MaxAttempts"/> attempts the delivery goes to the dead-letter queue. The
/// defaults (1 min doubling to 6 h, 12 attempts) spread the attempts over about 26 h.</summary>
public sealed class RetrySchedule
{
    public int MaxAttempts { get; set; } = 12;

    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromHours(6);

    /// <summary>A fraction in [0, 1).</summary>
    public double Jitter { get; set; } = 0.2;

    /// <summary>The delay after the <paramref name="failures"/>-th consecutive failure, with <paramref name="unit"/> a number
    /// in [0, 1) (a random draw; 0.5 means no jitter). Null when the delivery has had all its attempts.</summary>
    public TimeSpan? DelayAfter(int failures, double unit)
    {
        if (failures >= MaxAttempts)
        {
            return null;
        }

        double exponent = Math.Min(Math.Max(failures - 1, 0), 40);
        double ticks = Math.Min(BaseDelay.Ticks * Math.Pow(2, exponent), MaxDelay.Ticks);
        double jitter = Math.Clamp(Jitter, 0, 0.99) * (2 * unit - 1);
        return TimeSpan.FromTicks((long)(ticks * (1 + jitter)));
    }

    /// <summary>The total time from the first attempt to the last, without jitter (what the README quotes).</summary>
    public TimeSpan Span()
    {
        TimeSpan total = TimeSpan.Zero;
        for (int failures = 1; DelayAfter(failures, 0.5) is { } delay; failures++)
        {
            total += delay;
        }

        return total;
    }
}
