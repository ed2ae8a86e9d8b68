namespace Metering.Runtime;

/// <summary>Marker for grain interfaces. Every method returns <see cref="Task"/> or <see cref="Task{TResult}"/>.</summary>
public interface IGrain
{
}

/// <summary>A grain addressed by a string key. The part of the key before the first '#' is its partition key,
/// so grains that share it (a subscription and its quotas) live in one partition and on one silo.</summary>
public interface IGrainWithStringKey : IGrain
{
}

/// <summary>Marks a grain method that does not change state: it may interleave with other read-only calls.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadOnlyAttribute : Attribute
{
}

/// <summary>Gives references to grains. A reference is cheap; the activation is created on its first call.</summary>
public interface IGrainFactory
{
    /// <summary>The grain of interface <typeparamref name="TGrain"/> with this key.</summary>
    TGrain GetGrain<TGrain>(string key) where TGrain : IGrainWithStringKey;
}

/// <summary>The identity of a grain: its interface type and key.</summary>
public readonly record struct GrainId(Type Interface, string Key)
{
    /// <summary>The part of the key that decides placement.</summary>
    public string PartitionKey
    {
        get
        {
            int hash = Key.IndexOf('#', StringComparison.Ordinal);
            return hash < 0 ? Key : Key[..hash];
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Interface.Name}/{Key}";
}

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

/// <summary>Raised when the activation a call reached was dropped (for example after a write conflict).</summary>
public sealed class ActivationDroppedException(GrainId id, Exception? inner = null)
    : Exception($"The activation of {id} was dropped.", inner);
