namespace Metering.Grains.Webhooks;

/// <summary>The circuit breaker of an endpoint, as plain functions of its stored state and the clock. The state lives in
/// PostgreSQL and every transition is a compare-and-set there, because the silos that deliver an endpoint's notifications
/// (each for its own partitions) must share one breaker, and it must survive a restart.</summary>
public static class CircuitBreakerRules
{
    public static BreakerPermit Permit(Breaker breaker, BreakerSettings settings, DateTimeOffset now) => breaker.State switch
    {
        BreakerState.Closed => BreakerPermit.Send,
        _ when breaker.ChangedAt is not { } changed || now - changed >= settings.CoolDown => BreakerPermit.Probe,
        _ => BreakerPermit.Wait,
    };

    /// <summary>The breaker while its probe is in flight.</summary>
    public static Breaker StartProbe(Breaker breaker, DateTimeOffset now) => breaker with { State = BreakerState.HalfOpen, ChangedAt = now };

    /// <summary>Any success closes the breaker and clears the failures.</summary>
    public static Breaker AfterSuccess(Breaker breaker, DateTimeOffset now)
        => breaker.State == BreakerState.Closed && breaker.ConsecutiveFailures == 0 ? breaker : new Breaker(BreakerState.Closed, 0, now);

    /// <summary>A failed probe opens the breaker again for a new cool-down; a failure while closed opens it at the threshold.
    /// A failure reported while open (an attempt sent before it opened) only counts.</summary>
    public static Breaker AfterFailure(Breaker breaker, BreakerSettings settings, DateTimeOffset now)
    {
        int failures = breaker.ConsecutiveFailures + 1;
        return breaker.State switch
        {
            BreakerState.HalfOpen => new Breaker(BreakerState.Open, failures, now),
            BreakerState.Closed when failures >= settings.FailureThreshold => new Breaker(BreakerState.Open, failures, now),
            _ => breaker with { ConsecutiveFailures = failures },
        };
    }
}
