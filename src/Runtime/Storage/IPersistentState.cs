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
