using System.Text.Json;

namespace Metering.Runtime;

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
