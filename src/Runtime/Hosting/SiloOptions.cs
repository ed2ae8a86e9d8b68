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

    /// <summary>How often the silo heartbeats and renews its partition leases.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a lease lasts without renewal.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);
}
