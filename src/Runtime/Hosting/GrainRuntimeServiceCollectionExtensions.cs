using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Metering.Runtime.Diagnostics;

namespace Metering.Runtime;

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
        services.AddSingleton(new ClusterCredential(options.ClusterSecret));
        services.TryAddSingleton<IMembership, LocalMembership>();
        services.AddSingleton(sp =>
        {
            IMembership membership = sp.GetRequiredService<IMembership>();
            return new ClusterDirectory(async ct => (options.Partitions, await membership.OwnersAsync(ct).ConfigureAwait(false)));
        });
        services.AddSingleton<GrainMetrics>();
        services.AddSingleton<RemoteGrainInvoker>();
        services.AddSingleton<Catalog>();
        services.AddSingleton<IGrainFactory>(sp => sp.GetRequiredService<Catalog>().Factory);
        services.AddSingleton<PersistentStateFactory>();
        services.TryAddSingleton<IGrainStorage, InMemoryGrainStorage>();
        services.AddSingleton(sp => new Silo(sp.GetRequiredService<Catalog>(), options, sp.GetRequiredService<IMembership>(), sp.GetRequiredService<RemoteGrainInvoker>()));
        services.AddSingleton<SiloHost>();
        services.AddHostedService(sp => sp.GetRequiredService<SiloHost>());
        return registry;
    }
}
