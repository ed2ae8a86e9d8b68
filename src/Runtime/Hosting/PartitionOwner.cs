namespace Metering.Runtime;

/// <summary>The silo that holds a partition's lease, where it is reached, and the lease's fencing epoch.</summary>
public sealed record PartitionOwner(int Partition, string SiloId, string Address, long Epoch);
