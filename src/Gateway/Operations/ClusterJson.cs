namespace Metering.Gateway.Operations;

/// <summary>The silos of the cluster, the number of partitions, which silo answered, and its clock (for heartbeat ages).</summary>
public sealed record ClusterJson(IReadOnlyList<SiloJson> Silos, int Partitions, string Self, string Now);
