namespace Metering.Runtime;

/// <summary>The directory as the internal endpoint serves it.</summary>
public sealed record DirectoryDocument(int Partitions, IReadOnlyList<PartitionOwner> Owners);
