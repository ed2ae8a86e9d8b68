using System.Collections.Concurrent;
using System.Text.Json;

namespace Metering.Runtime;

/// <summary>A grain's durable state: loaded on activation, written with optimistic concurrency.</summary>
public interface IPersistentState<T> where T : class, new()
{
    /// <summary>The state in memory.</summary>
    T State { get; set; }

    /// <summary>The version last read or written; 0 when nothing is stored.</summary>
    long Version { get; }

    /// <summary>Loads the stored state (or a new <typeparamref name="T"/>).</summary>
    Task ReadStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes the state if the stored version is still the one read; otherwise throws <see cref="InconsistentStateException"/>.</summary>
    Task WriteStateAsync(CancellationToken cancellationToken = default);
}

/// <summary>A write found another version stored than the one this activation read, or the partition was fenced.</summary>
public sealed class InconsistentStateException(string message) : Exception(message);

/// <summary>A stored state record.</summary>
public sealed record StoredState(byte[] Data, long Version);

/// <summary>Where grain state is kept.</summary>
public interface IGrainStorage
{
    /// <summary>Reads a grain's state, or null.</summary>
    Task<StoredState?> ReadAsync(string stateName, string key, CancellationToken cancellationToken);

    /// <summary>Writes a state when the stored version equals <paramref name="expectedVersion"/> (0: none stored) and the fence holds;
    /// returns the new version or throws <see cref="InconsistentStateException"/>.</summary>
    Task<long> WriteAsync(string stateName, string key, byte[] data, long expectedVersion, FencingToken fence, CancellationToken cancellationToken);
}

/// <summary>Creates persistent state for grains.</summary>
public sealed class PersistentStateFactory(IGrainStorage storage)
{
    internal static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    /// <summary>State named <paramref name="name"/> of the grain in <paramref name="context"/>.</summary>
    public IPersistentState<T> Create<T>(IGrainContext context, string name) where T : class, new()
        => new PersistentState<T>(storage, context, name);

    private sealed class PersistentState<T>(IGrainStorage storage, IGrainContext context, string name) : IPersistentState<T>
        where T : class, new()
    {
        public T State { get; set; } = new();

        public long Version { get; private set; }

        public async Task ReadStateAsync(CancellationToken cancellationToken = default)
        {
            StoredState? stored = await storage.ReadAsync(name, context.Id.Key, cancellationToken).ConfigureAwait(false);
            State = stored is null ? new T() : JsonSerializer.Deserialize<T>(stored.Data, s_json) ?? new T();
            Version = stored?.Version ?? 0;
        }

        public async Task WriteStateAsync(CancellationToken cancellationToken = default)
        {
            byte[] data = JsonSerializer.SerializeToUtf8Bytes(State, s_json);
            Version = await storage.WriteAsync(name, context.Id.Key, data, Version, context.Fence, cancellationToken).ConfigureAwait(false);
        }
    }
}

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
