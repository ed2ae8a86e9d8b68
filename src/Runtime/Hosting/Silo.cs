using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Metering.Runtime;

/// <summary>This silo as others see it: its id, its partitions and activations, and whether it is ready.</summary>
public sealed class Silo
{
    private readonly Catalog _catalog;

    internal Silo(Catalog catalog, SiloOptions options, IMembership membership)
    {
        _catalog = catalog;
        Options = options;
        Membership = membership;
    }

    /// <summary>The silo's settings.</summary>
    public SiloOptions Options { get; }

    /// <summary>The membership the silo belongs to.</summary>
    public IMembership Membership { get; }

    /// <summary>True once partitions are owned and grains can be called.</summary>
    public bool IsReady { get; internal set; }

    /// <summary>Live activations on this silo.</summary>
    public int ActivationCount => _catalog.Count;

    internal PartitionTable Partitions => _catalog.Partitions;

    /// <summary>Partitions owned by this silo.</summary>
    public int OwnedPartitions => _catalog.Partitions.OwnedCount;

    /// <summary>Deactivates idle activations now (also done on a timer).</summary>
    public Task<int> CollectIdleAsync(TimeSpan age) => _catalog.CollectIdleAsync(age);
}

/// <summary>Starts and stops the silo with the host: membership, leases, heartbeats, idle collection.</summary>
internal sealed class SiloHost(Silo silo, Catalog catalog, IMembership membership, SiloOptions options, TimeProvider time, ILogger<SiloHost> logger)
    : IHostedService, IAsyncDisposable
{
    private ITimer? _heartbeat;
    private ITimer? _collector;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await membership.JoinAsync(cancellationToken).ConfigureAwait(false);
        foreach ((int partition, long epoch) in await membership.ClaimAllAsync(cancellationToken).ConfigureAwait(false))
        {
            catalog.Partitions.Own(partition, epoch);
        }

        logger.LogInformation("Silo {Silo} owns {Count} of {Total} partitions", options.SiloId, catalog.Partitions.OwnedCount, options.Partitions);
        _heartbeat = time.CreateTimer(_ => _ = HeartbeatAsync(), null, options.HeartbeatInterval, options.HeartbeatInterval);
        _collector = time.CreateTimer(_ => _ = CollectAsync(), null, options.CollectionInterval, options.CollectionInterval);
        silo.IsReady = true;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        silo.IsReady = false;
        await DisposeAsync().ConfigureAwait(false);
        await catalog.DeactivateAllAsync().ConfigureAwait(false);
        await membership.LeaveAsync(cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Silo {Silo} stopped", options.SiloId);
    }

    private async Task HeartbeatAsync()
    {
        try
        {
            await membership.HeartbeatAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Heartbeat failed");
        }
    }

    private async Task CollectAsync()
    {
        try
        {
            int collected = await catalog.CollectIdleAsync(options.IdleAge).ConfigureAwait(false);
            if (collected > 0)
            {
                logger.LogDebug("Deactivated {Count} idle activations", collected);
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Idle collection failed");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_heartbeat is not null)
        {
            await _heartbeat.DisposeAsync().ConfigureAwait(false);
        }

        if (_collector is not null)
        {
            await _collector.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Registers the grain runtime.</summary>
public static class GrainRuntimeServiceCollectionExtensions
{
    /// <summary>Adds a silo to the host. Grain classes are registered on the returned registry.</summary>
    public static GrainTypeRegistry AddGrainRuntime(this IServiceCollection services, SiloOptions options)
    {
        var registry = new GrainTypeRegistry();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(registry);
        services.AddSingleton(new PartitionTable(options.SiloId, options.Partitions));
        services.AddSingleton<Catalog>();
        services.AddSingleton<IGrainFactory>(sp => sp.GetRequiredService<Catalog>().Factory);
        services.AddSingleton<PersistentStateFactory>();
        services.TryAddSingleton<IGrainStorage, InMemoryGrainStorage>();
        services.TryAddSingleton<IMembership, LocalMembership>();
        services.AddSingleton(sp => new Silo(sp.GetRequiredService<Catalog>(), options, sp.GetRequiredService<IMembership>()));
        services.AddSingleton<SiloHost>();
        services.AddHostedService(sp => sp.GetRequiredService<SiloHost>());
        return registry;
    }
}
