namespace Metering.Grains.Webhooks;

/// <summary>An endpoint's breaker as stored: its state, the failures in a row, and when the state last changed.</summary>
public sealed record Breaker(BreakerState State, int ConsecutiveFailures, DateTimeOffset? ChangedAt)
{
    public static readonly Breaker Closed = new(BreakerState.Closed, 0, null);
}
