using Metering.Grains.Webhooks;

namespace Metering.Silo.Webhooks;

/// <summary>Settings of webhook delivery (configuration section <c>Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    /// <summary>Allow endpoints on loopback addresses (tests, a receiver on the same machine).</summary>
    public bool AllowLoopback { get; set; }

    /// <summary>Allow endpoints on private and link-local networks (see <see cref="WebhookAddressRule"/>).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How long a receiver has to answer one attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a silo looks for due deliveries of its partitions when nothing wakes it earlier.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Due deliveries read at once.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Endpoints sent to at once by one silo (each endpoint's deliveries go one after another, in order).</summary>
    public int Parallelism { get; set; } = 16;

    public RetrySchedule Retry { get; set; } = new();

    /// <summary>How long a rotated secret keeps signing next to the new one when the rotation names no grace.</summary>
    public TimeSpan SecretGracePeriod { get; set; } = TimeSpan.FromHours(24);

    public BreakerSettings Breaker { get; set; } = new();
}
