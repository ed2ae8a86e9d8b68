namespace Metering.Runtime;

/// <summary>Where grain state is kept.</summary>
public interface IGrainStorage
{
    /// <summary>Reads a grain's state, or null.</summary>
    Task<StoredState?> ReadAsync(string stateName, string key, CancellationToken cancellationToken);

    /// <summary>Writes a state when the stored version equals <paramref name="expectedVersion"/> (0: none stored) and the fence holds;
    /// returns the new version or throws <see cref="InconsistentStateException"/>.</summary>
    Task<long> WriteAsync(string stateName, string key, byte[] data, long expectedVersion, FencingToken fence, CancellationToken cancellationToken);
}
