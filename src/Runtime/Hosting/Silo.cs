using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Metering.Runtime;

/// <summary>This silo as others see it: its id, status, partitions and activations, the directory it routes by, and whether
/// it is ready.</summary>
public sealed class Silo
{
    private readonly Catalog _catalog;
    private long _lastHeartbeat;

    internal Silo(Catalog catalog, SiloOptions options, IMembership membership, RemoteGrainInvoker forwarder)
    {
        _catalog = catalog;
        Options = options;
        Membership = membership;
        Forwarder = forwarder;
    }

    /// <summary>The silo's settings.</summary>
    public SiloOptions Options { get; }

    /// <summary>The membership the silo belongs to.</summary>
    public IMembership Membership { get; }

    /// <summary>Where this silo is in its life cycle.</summary>
    public SiloStatus Status { get; internal set; } = SiloStatus.Joining;

    /// <summary>The partition → owner map calls are routed by.</summary>
    public ClusterDirectory Directory => Forwarder.Directory;

    /// <summary>Sends calls for grains of other silos.</summary>
    public RemoteGrainInvoker Forwarder { get; }

    /// <summary>True when this silo can take writes now: it is active, its last heartbeat reached the database within a lease,
    /// and every partition has an owner to route to.</summary>
    public bool IsReady => Status == SiloStatus.Active && HeartbeatFresh && Directory.Covers;

    /// <summary>Whether the last successful heartbeat is younger than a lease.</summary>
    public bool HeartbeatFresh
    {
        get
        {
            long last = Interlocked.Read(ref _lastHeartbeat);
            return last != 0 && Stopwatch.GetElapsedTime(last) < Options.LeaseDuration;
        }
    }

    /// <summary>Live activations on this silo.</summary>
    public int ActivationCount => _catalog.Count;

    internal PartitionTable Partitions => _catalog.Partitions;

    /// <summary>Partitions owned by this silo.</summary>
    public int OwnedPartitions => _catalog.Partitions.OwnedCount;

    /// <summary>Deactivates idle activations now (also done on a timer).</summary>
    public Task<int> CollectIdleAsync(TimeSpan age) => _catalog.CollectIdleAsync(age);

    /// <summary>Publishes the address other silos reach this one at (known once the server listens).</summary>
    public async Task AdvertiseAsync(string address, CancellationToken cancellationToken = default)
    {
        Options.Address = address;
        await Membership.AdvertiseAsync(address, cancellationToken).ConfigureAwait(false);
    }

    internal void HeartbeatSucceeded(long timestamp) => Interlocked.Exchange(ref _lastHeartbeat, timestamp);
}
