namespace Metering.Runtime;

/// <summary>A member of the cluster as the membership table holds it. <see cref="Suspected"/>: its heartbeat is late, but not
/// yet past the lease that would declare it dead.</summary>
public sealed record SiloInfo(string Id, string Address, SiloStatus Status, DateTimeOffset HeartbeatAt, int Partitions, int Activations, bool Suspected);
