namespace Metering.Runtime;

/// <summary>A write found another version stored than the one this activation read, or the partition was fenced.</summary>
public sealed class InconsistentStateException(string message) : Exception(message);
