namespace Metering.Grains.Webhooks;

/// <summary>The state of an endpoint's circuit breaker.</summary>
public enum BreakerState
{
    /// <summary>Deliveries are sent.</summary>
    Closed,

    /// <summary>Nothing is sent until the cool-down has passed; deliveries wait.</summary>
    Open,

    /// <summary>One probe is in flight; its outcome closes or opens the breaker again.</summary>
    HalfOpen,
}
