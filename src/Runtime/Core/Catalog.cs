using System.Diagnostics;
using System.Collections.Concurrent;
using System.Reflection;
using Metering.Runtime.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metering.Runtime;

/// <summary>The activations of this silo: finds or creates the activation of a grain, collects idle ones.</summary>
internal sealed class Catalog : IGrainCallInvoker
{
    private readonly ConcurrentDictionary<GrainId, Activation> _activations = new();
    private readonly IServiceProvider _services;
    private readonly GrainTypeRegistry _types;

    private readonly RemoteGrainInvoker? _remote;

    /// <summary>A catalog that forwards calls for partitions it does not own through <paramref name="remote"/>, when the
    /// membership is shared with other silos.</summary>
    public Catalog(IServiceProvider services, GrainTypeRegistry types, PartitionTable partitions, IMembership membership, RemoteGrainInvoker remote, TimeProvider time, GrainMetrics metrics, ILogger<Catalog> logger)
    {
        Metrics = metrics;
        _services = services;
        _types = types;
        _remote = membership.Shared ? remote : null;
        Partitions = partitions;
        Time = time;
        Logger = logger;
        Factory = new GrainFactory(this, partitions.PartitionOf);
    }

    public TimeProvider Time { get; }

    public GrainMetrics Metrics { get; }

    public ILogger Logger { get; }

    public PartitionTable Partitions { get; }

    public GrainFactory Factory { get; }

    /// <summary>The registered grain types.</summary>
    public GrainTypeRegistry Types => _types;

    public int Count => _activations.Count;

    public IEnumerable<Activation> Activations => _activations.Values;

    /// <summary>A grain factory for the grains of <paramref name="partition"/>: their calls to that partition stay here.</summary>
    public IGrainFactory FactoryFor(int partition) => new GrainFactory(this, Partitions.PartitionOf, partition);

    /// <summary>The activation of <paramref name="id"/>, created when this silo owns <paramref name="partition"/> (an existing
    /// one is checked for ownership when its turn comes).</summary>
    public Activation GetOrCreate(GrainId id, int partition)
    {
        if (_activations.TryGetValue(id, out Activation? existing))
        {
            return existing;
        }

        if (!Partitions.IsOwned(partition))
        {
            throw new NotOwnerException(id, partition);
        }

        var created = new Activation(this, id, partition, Partitions.GetFence(partition));
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

    /// <summary>Deactivates the activations of <paramref name="partitions"/>: flushing their state first when they are handed
    /// off or the silo stops, dropping it when the partitions were lost (their memory may be stale).</summary>
    public Task DeactivatePartitionsAsync(IReadOnlySet<int> partitions, bool flush) => Task.WhenAll(_activations.Values
        .Where(a => partitions.Contains(a.Partition))
        .Select(a => a.DeactivateAsync(flush, onlyIfIdle: false)));

    /// <summary>Runs the call here when this silo owns the grain's partition, else forwards it to the owner. A call that a
    /// grain of the same partition makes (<see cref="GrainReference.LocalOnly"/>) is never forwarded.</summary>
    public Task<T> InvokeAsync<T>(GrainReference reference, MethodDescriptor method, object?[] args)
    {
        if (_remote is null || reference.LocalOnly)
        {
            return InvokeHereAsync<T>(reference, method, args);
        }

        IGrainCallInvoker remote = _remote;
        return Partitions.IsOwned(reference.Partition) ? HereOrForwardedAsync(remote) : remote.InvokeAsync<T>(reference, method, args);

        async Task<T> HereOrForwardedAsync(IGrainCallInvoker owner)
        {
            try
            {
                return await InvokeHereAsync<T>(reference, method, args).ConfigureAwait(false);
            }
            catch (NotOwnerException ex) when (ex.Grain == reference.Id)
            {
                // The partition moved before the call ran: the owner takes it.
                return await owner.InvokeAsync<T>(reference, method, args).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs the call on this silo, or throws <see cref="NotOwnerException"/> for this grain before running it when the
    /// silo does not own the partition (a lease that may have lapsed counts as not owned).</summary>
    private async Task<T> InvokeHereAsync<T>(GrainReference reference, MethodDescriptor method, object?[] args)
    {
        while (true)
        {
            Activation activation = reference.Cached is { IsDeactivated: false } cached ? cached : GetOrCreate(reference.Id, reference.Partition);
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

                if (!Partitions.IsOwned(activation.Partition))
                {
                    throw new NotOwnerException(reference.Id, activation.Partition);
                }

                if (activation.Fence.Epoch != Partitions.GetFence(activation.Partition).Epoch)
                {
                    // Lost and claimed back since this activation loaded its state: it goes, and the call takes a new one.
                    activation.RequestDeactivation(flush: false);
                    continue;
                }

                return await RunTurnAsync<T>(activation, method, args).ConfigureAwait(false);
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

    /// <summary>Runs the method in the turn already taken, counting the call and timing the turn by grain type.</summary>
    private async Task<T> RunTurnAsync<T>(Activation activation, MethodDescriptor method, object?[] args)
    {
        long start = Time.GetTimestamp();
        activation.LastUsed = start;
        activation.CountCall();
        using Activity? span = RuntimeTracing.Source.StartActivity($"grain {activation.Id.Interface.Name}.{method.Method.Name}");
        span?.SetTag("grain.partition", activation.Partition);
        try
        {
            object? result = method.Method.Invoke(activation.Instance, BindingFlags.DoNotWrapExceptions, null, args, null);
            if (typeof(T) == typeof(MethodDescriptor.VoidResult))
            {
                await ((Task)result!).ConfigureAwait(false);
                return default!;
            }

            return await ((Task<T>)result!).ConfigureAwait(false);
        }
        finally
        {
            Metrics.TurnDuration[activation.Id.Interface.Name].ObserveSince(Time, start);
        }
    }
}
