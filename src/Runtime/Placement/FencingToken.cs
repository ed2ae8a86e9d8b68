namespace Metering.Runtime;

/// <summary>Proof of partition ownership carried by every durable write: a write with a stale epoch is refused.</summary>
public readonly record struct FencingToken(string SiloId, int Partition, long Epoch);
