namespace Metering.Runtime;

/// <summary>No silo could take a call: the partition had no reachable owner within the retry window.</summary>
public sealed class ClusterUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
