namespace Metering.Runtime;

/// <summary>Cluster membership and partition leases.</summary>
public interface IMembership
{
    /// <summary>Whether other silos may take this silo's partitions when its leases lapse (false for a lone silo, whose
    /// leases never lapse).</summary>
    bool Shared { get; }

    /// <summary>Adds (or re-adds) this silo to the membership table as joining.</summary>
    Task JoinAsync(CancellationToken cancellationToken);

    /// <summary>Publishes the address this silo is reached at. A live silo row with the same address is an earlier
    /// incarnation that can no longer be listening there: it is declared dead and its leases expire now.</summary>
    Task AdvertiseAsync(string address, CancellationToken cancellationToken);

    /// <summary>Heartbeats, renews this silo's leases, declares dead the silos whose heartbeat lapsed past the lease, and reads
    /// the cluster, in one round trip.</summary>
    Task<MembershipSnapshot> HeartbeatAsync(int activations, CancellationToken cancellationToken);

    /// <summary>Heartbeats and renews this silo's leases, and nothing else, synchronously: the silo's lease keeper calls it on a
    /// thread of its own so that renewing never waits for the thread pool, which a loaded silo can keep busy for longer than a
    /// lease. Returns the partitions renewed with their epochs, or null when this silo was declared dead.</summary>
    IReadOnlyList<(int Partition, long Epoch)>? KeepAlive(int activations);

    /// <summary>Takes up to <paramref name="count"/> partitions that nobody holds (free, or their lease expired), each at a
    /// higher epoch than any before; returns (partition, epoch).</summary>
    Task<IReadOnlyList<(int Partition, long Epoch)>> ClaimAsync(int count, CancellationToken cancellationToken);

    /// <summary>Gives up partitions so that another silo may claim them. Waits for writes in flight under their fences.</summary>
    Task ReleaseAsync(IReadOnlyList<int> partitions, CancellationToken cancellationToken);

    /// <summary>Records this silo's status.</summary>
    Task SetStatusAsync(SiloStatus status, CancellationToken cancellationToken);

    /// <summary>The members, newest dead ones included for an hour.</summary>
    Task<IReadOnlyList<SiloInfo>> ListAsync(CancellationToken cancellationToken);

    /// <summary>The current owner of every held partition.</summary>
    Task<IReadOnlyList<PartitionOwner>> OwnersAsync(CancellationToken cancellationToken);

    /// <summary>The secret silos share to authenticate calls between them, when none is configured.</summary>
    Task<string> SharedSecretAsync(CancellationToken cancellationToken);
}
