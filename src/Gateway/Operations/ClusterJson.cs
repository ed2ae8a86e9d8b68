namespace Metering.Gateway.Operations;

/// <summary>The silos of the cluster, the number of partitions, and which silo answered.</summary>
public sealed record ClusterJson(IReadOnlyList<SiloJson> Silos, int Partitions, string Self);
