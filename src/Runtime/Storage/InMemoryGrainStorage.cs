using System.Collections.Concurrent;

namespace Metering.Runtime;

/// <summary>Grain storage in process memory, for tests and tools; same concurrency rules as the PostgreSQL one.</summary>
public sealed class InMemoryGrainStorage : IGrainStorage
{
    private readonly ConcurrentDictionary<(string, string), StoredState> _states = new();

    /// <inheritdoc />
    public Task<StoredState?> ReadAsync(string stateName, string key, CancellationToken cancellationToken)
        => Task.FromResult(_states.TryGetValue((stateName, key), out StoredState? s) ? s : null);

    /// <inheritdoc />
    public Task<long> WriteAsync(string stateName, string key, byte[] data, long expectedVersion, FencingToken fence, CancellationToken cancellationToken)
    {
        var next = new StoredState(data, expectedVersion + 1);
        bool written = expectedVersion == 0
            ? _states.TryAdd((stateName, key), next)
            : _states.TryGetValue((stateName, key), out StoredState? current) && current.Version == expectedVersion
              && _states.TryUpdate((stateName, key), next, current);
        return written
            ? Task.FromResult(next.Version)
            : throw new InconsistentStateException($"State {stateName}/{key} is not at version {expectedVersion}.");
    }
}
