namespace Metering.Grains.Webhooks;

/// <summary>What the breaker lets a dispatcher do with an endpoint now.</summary>
public enum BreakerPermit
{
    /// <summary>Closed: send.</summary>
    Send,

    /// <summary>The cool-down has passed: send one probe, after moving the breaker to half-open.</summary>
    Probe,

    /// <summary>Open (or a probe in flight): send nothing.</summary>
    Wait,
}
