namespace Metering.Runtime;

/// <summary>Settings of a silo (configuration section <c>Silo</c>).</summary>
public sealed class SiloOptions
{
    /// <summary>This silo's id, unique in the cluster.</summary>
    public string SiloId { get; set; } = $"silo-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The address other members reach this silo at.</summary>
    public string Address { get; set; } = "local";

    /// <summary>The number of partitions keys hash to. Fixed for the life of a cluster.</summary>
    public int Partitions { get; set; } = 256;

    /// <summary>An activation unused this long is deactivated (its state flushed first).</summary>
    public TimeSpan IdleAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often idle activations are looked for.</summary>
    public TimeSpan CollectionInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the silo heartbeats, renews its partition leases and rebalances (a placement round).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a lease lasts without renewal. A silo whose heartbeat lapses this long is declared dead and its
    /// partitions are taken over, so this bounds the failover time (plus one heartbeat).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a call to a grain on another silo keeps being retried while its partition has no reachable owner.</summary>
    public TimeSpan ForwardRetryWindow { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long one forwarded call may take.</summary>
    public TimeSpan ForwardTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The secret silos share to authenticate calls between them (METERING_CLUSTER_SECRET). Without one, a secret
    /// generated once and kept in the cluster's database is used.</summary>
    public string? ClusterSecret { get; set; }
}
