using Metering.Runtime.Diagnostics;

namespace Metering.Runtime;

/// <summary>This silo as others see it: its id, status, partitions and activations, the directory it routes by, and whether
/// it is ready.</summary>
public sealed class Silo
{
    private readonly Catalog _catalog;
    private CancellationTokenSource _incarnation = new();

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

    /// <summary>Whether the last heartbeat renewed this silo's leases recently enough that they still hold.</summary>
    public bool HeartbeatFresh => _catalog.Partitions.LeasesHold;

    /// <summary>Cancelled when this silo learns it was declared dead (paused or cut off past its lease): work it started
    /// before, such as a background job, may have been taken over by another silo and must stop.</summary>
    public CancellationToken Incarnation => Volatile.Read(ref _incarnation).Token;

    /// <summary>Live activations on this silo.</summary>
    public int ActivationCount => _catalog.Count;

    /// <summary>Turn durations by grain type.</summary>
    public GrainMetrics Metrics => _catalog.Metrics;

    /// <summary>Live activations by grain type (the interface name).</summary>
    public IReadOnlyDictionary<string, int> ActivationsByType
        => _catalog.Activations.GroupBy(a => a.Id.Interface.Name).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>The <paramref name="count"/> live activations of this silo that ran the most calls, among those whose id
    /// <paramref name="include"/> accepts (a caller shows a tenant only its own grains).</summary>
    public IReadOnlyList<ActivationCalls> HottestActivations(int count, Func<GrainId, bool> include) => _catalog.Activations
        .Where(a => include(a.Id))
        .Select(a => new ActivationCalls(a.Id, a.Partition, a.Calls))
        .OrderByDescending(a => a.Calls)
        .Take(count)
        .ToList();

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

    internal void EndIncarnation() => Interlocked.Exchange(ref _incarnation, new CancellationTokenSource()).Cancel();
}
