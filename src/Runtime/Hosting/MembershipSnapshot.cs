namespace Metering.Runtime;

/// <summary>What one heartbeat learned: whether this silo was declared dead meanwhile, the leases it renewed, the live silos
/// (joining or active, heartbeat within the lease) and every partition's current owner.</summary>
public sealed record MembershipSnapshot(
    bool DeclaredDead,
    IReadOnlyList<(int Partition, long Epoch)> Renewed,
    IReadOnlyList<string> LiveSilos,
    IReadOnlyList<PartitionOwner> Owners);
