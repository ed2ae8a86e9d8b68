namespace Metering.Runtime;

/// <summary>A stored state record.</summary>
public sealed record StoredState(byte[] Data, long Version);
