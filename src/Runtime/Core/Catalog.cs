using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metering.Runtime;

/// <summary>The activations of this silo: finds or creates the activation of a grain, collects idle ones.</summary>
internal sealed class Catalog
{
    private readonly ConcurrentDictionary<GrainId, Activation> _activations = new();
    private readonly IServiceProvider _services;
    private readonly GrainTypeRegistry _types;

    public Catalog(IServiceProvider services, GrainTypeRegistry types, PartitionTable partitions, TimeProvider time, ILogger<Catalog> logger)
    {
        _services = services;
        _types = types;
        Partitions = partitions;
        Time = time;
        Logger = logger;
        Factory = new GrainFactory(this);
    }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public PartitionTable Partitions { get; }

    public GrainFactory Factory { get; }

    public int Count => _activations.Count;

    public IEnumerable<Activation> Activations => _activations.Values;

    public Activation GetOrCreate(GrainId id)
    {
        if (_activations.TryGetValue(id, out Activation? existing))
        {
            return existing;
        }

        int partition = Partitions.PartitionOf(id.PartitionKey);
        if (!Partitions.IsOwned(partition))
        {
            throw new NotOwnerException(id, partition);
        }

        var created = new Activation(this, id, partition);
        // The activation turn is taken before the activation is published, so every caller queues behind it.
        _ = created.Scheduler.AcquireAsync(readOnly: false);
        Activation winner = _activations.GetOrAdd(id, created);
        if (!ReferenceEquals(winner, created))
        {
            return winner;
        }

        Type implementation = _types.Implementation(id.Interface);
        _ = created.ActivateAsync(a => (Grain)ActivatorUtilities.CreateInstance(_services, implementation, (IGrainContext)a));
        return created;
    }

    public void Remove(Activation activation) => _activations.TryRemove(new KeyValuePair<GrainId, Activation>(activation.Id, activation));

    /// <summary>Deactivates activations unused for longer than <paramref name="age"/> that have no call pending.</summary>
    public async Task<int> CollectIdleAsync(TimeSpan age)
    {
        long now = Time.GetTimestamp();
        var candidates = _activations.Values
            .Where(a => a.Scheduler.Pending == 0 && Time.GetElapsedTime(a.LastUsed, now) >= age)
            .ToList();
        bool[] results = await Task.WhenAll(candidates.Select(a => a.DeactivateAsync(flush: true, onlyIfIdle: true))).ConfigureAwait(false);
        return results.Count(r => r);
    }

    /// <summary>Deactivates every activation, flushing state (graceful silo stop).</summary>
    public Task DeactivateAllAsync() => Task.WhenAll(_activations.Values.Select(a => a.DeactivateAsync(flush: true, onlyIfIdle: false)));

    /// <summary>Drops activations of partitions this silo no longer owns, without flushing (their state may be stale).</summary>
    public Task DropPartitionAsync(int partition) => Task.WhenAll(_activations.Values
        .Where(a => a.Partition == partition)
        .Select(a => a.DeactivateAsync(flush: false, onlyIfIdle: false)));

    public object Dispatch(GrainReference reference, MethodInfo method, object?[]? args)
        => MethodDescriptor.For(method).Invoke(this, reference, args ?? []);

    internal async Task<T> InvokeAsync<T>(GrainReference reference, MethodDescriptor method, object?[] args)
    {
        while (true)
        {
            Activation activation = reference.Cached is { IsDeactivated: false } cached ? cached : GetOrCreate(reference.Id);
            reference.Cached = activation;
            await activation.Scheduler.AcquireAsync(method.ReadOnly).ConfigureAwait(false);
            try
            {
                if (activation.Activated.IsFaulted)
                {
                    await activation.Activated.ConfigureAwait(false);
                }

                if (activation.IsDeactivated)
                {
                    continue;
                }

                activation.LastUsed = Time.GetTimestamp();
                object? result = method.Method.Invoke(activation.Instance, BindingFlags.DoNotWrapExceptions, null, args, null);
                if (typeof(T) == typeof(MethodDescriptor.VoidResult))
                {
                    await ((Task)result!).ConfigureAwait(false);
                    return default!;
                }

                return await ((Task<T>)result!).ConfigureAwait(false);
            }
            catch (InconsistentStateException)
            {
                activation.RequestDeactivation(flush: false);
                throw;
            }
            finally
            {
                activation.Scheduler.Release(method.ReadOnly);
                activation.AfterTurn();
            }
        }
    }
}

/// <summary>Raised when a grain's partition is not owned by this silo.</summary>
public sealed class NotOwnerException(GrainId id, int partition)
    : Exception($"This silo does not own partition {partition} of {id}.")
{
    /// <summary>The partition of the grain.</summary>
    public int Partition { get; } = partition;
}

/// <summary>Maps grain interfaces to their classes.</summary>
public sealed class GrainTypeRegistry
{
    private readonly Dictionary<Type, Type> _map = [];

    /// <summary>Registers <typeparamref name="TGrain"/> as the class of <typeparamref name="TInterface"/>.</summary>
    public void Add<TInterface, TGrain>() where TInterface : IGrainWithStringKey where TGrain : Grain, TInterface
        => _map[typeof(TInterface)] = typeof(TGrain);

    internal Type Implementation(Type grainInterface)
        => _map.TryGetValue(grainInterface, out Type? type)
            ? type
            : throw new InvalidOperationException($"No grain class is registered for {grainInterface.Name}.");
}
