namespace Metering.Runtime;

/// <summary>What the runtime offers to a running grain.</summary>
public interface IGrainContext
{
    /// <summary>The grain's identity.</summary>
    GrainId Id { get; }

    /// <summary>The partition the grain lives in.</summary>
    int Partition { get; }

    /// <summary>The fencing token of the partition as this silo holds it now.</summary>
    FencingToken Fence { get; }

    /// <summary>The grain factory, for calls to other grains.</summary>
    IGrainFactory GrainFactory { get; }
}
