namespace Metering.Client;

/// <summary>How a <see cref="ClusterClient"/> reaches the cluster.</summary>
public sealed class ClusterClientOptions
{
    /// <summary>Addresses of some silos (any will do: the client learns the others from the directory).</summary>
    public IReadOnlyList<Uri> Gateways { get; set; } = [];

    /// <summary>The cluster secret the silos share (METERING_CLUSTER_SECRET).</summary>
    public string ClusterSecret { get; set; } = "";

    /// <summary>How long a call keeps being retried while its grain's partition has no reachable owner (a failover).</summary>
    public TimeSpan RetryWindow { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long one call may take.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
