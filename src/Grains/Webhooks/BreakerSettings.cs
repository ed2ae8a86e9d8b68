namespace Metering.Grains.Webhooks;

/// <summary>When an endpoint's breaker opens, and how long it stays open.</summary>
public sealed class BreakerSettings
{
    /// <summary>Failed attempts in a row (over all of the endpoint's deliveries) that open the breaker.</summary>
    public int FailureThreshold { get; set; } = 5;

    /// <summary>How long an open breaker sends nothing before it lets one probe through. A half-open breaker whose probe has
    /// not been answered for this long (its silo died) lets another probe through.</summary>
    public TimeSpan CoolDown { get; set; } = TimeSpan.FromSeconds(60);
}
