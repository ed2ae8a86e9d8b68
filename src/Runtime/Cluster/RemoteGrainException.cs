namespace Metering.Runtime;

/// <summary>A grain call that failed on the silo that ran it; <see cref="RemoteType"/> names the exception thrown there.</summary>
public sealed class RemoteGrainException(string remoteType, string message) : Exception(message)
{
    /// <summary>The full type name of the exception the grain threw.</summary>
    public string RemoteType { get; } = remoteType;
}
