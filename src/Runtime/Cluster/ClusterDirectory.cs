namespace Metering.Runtime;

/// <summary>The cached map of partition → owning silo that routes calls. It is replaced whole by each heartbeat round (or
/// each fetch, in a client), and refreshed at once, by a single fetch however many callers ask, when a call finds it stale.</summary>
public sealed class ClusterDirectory
{
    private readonly Func<CancellationToken, Task<(int Partitions, IReadOnlyList<PartitionOwner> Owners)>> _fetch;
    private readonly Lock _lock = new();
    private PartitionOwner?[] _owners = [];
    private Task? _refreshing;

    /// <summary>A directory that fetches the owners with <paramref name="fetch"/>.</summary>
    public ClusterDirectory(Func<CancellationToken, Task<(int Partitions, IReadOnlyList<PartitionOwner> Owners)>> fetch) => _fetch = fetch;

    /// <summary>The number of partitions (0 until the first fetch).</summary>
    public int Partitions => Volatile.Read(ref _owners).Length;

    /// <summary>True when every partition has a live owner.</summary>
    public bool Covers
    {
        get
        {
            PartitionOwner?[] owners = Volatile.Read(ref _owners);
            return owners.Length > 0 && Array.TrueForAll(owners, o => o is not null);
        }
    }

    /// <summary>The owners, in partition order (null where none holds the lease).</summary>
    public IReadOnlyList<PartitionOwner?> Owners => Volatile.Read(ref _owners);

    /// <summary>The owner of <paramref name="partition"/>, or null when none is known.</summary>
    public PartitionOwner? OwnerOf(int partition)
    {
        PartitionOwner?[] owners = Volatile.Read(ref _owners);
        return partition < owners.Length ? owners[partition] : null;
    }

    /// <summary>Replaces the map. An owner that has not published its address yet (a silo claims partitions in its first
    /// round, and learns where it listens only once its server has started) cannot be called: it counts as no owner, so a call
    /// waits and retries as for a partition between owners.</summary>
    public void Update(int partitions, IEnumerable<PartitionOwner> owners)
    {
        var map = new PartitionOwner?[partitions];
        foreach (PartitionOwner owner in owners)
        {
            if (owner.Partition < partitions && !string.IsNullOrEmpty(owner.Address))
            {
                map[owner.Partition] = owner;
            }
        }

        Volatile.Write(ref _owners, map);
    }

    /// <summary>Fetches the map again; concurrent callers share one fetch.</summary>
    public Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_refreshing is { IsCompleted: false } running)
            {
                return running;
            }

            _refreshing = FetchAsync(cancellationToken);
            return _refreshing;
        }
    }

    private async Task FetchAsync(CancellationToken cancellationToken)
    {
        (int partitions, IReadOnlyList<PartitionOwner> owners) = await _fetch(cancellationToken).ConfigureAwait(false);
        Update(partitions, owners);
    }
}
