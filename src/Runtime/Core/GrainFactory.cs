using System.Reflection;

namespace Metering.Runtime;

/// <summary>Gives grain references whose calls go through <paramref name="invoker"/>. References made for a grain of
/// <paramref name="callerPartition"/> are local-only.</summary>
internal sealed class GrainFactory(IGrainCallInvoker invoker, Func<string, int> partitionOf, int? callerPartition = null) : IGrainFactory
{
    public TGrain GetGrain<TGrain>(string key) where TGrain : IGrainWithStringKey
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var id = new GrainId(typeof(TGrain), key);
        int partition = partitionOf(id.PartitionKey);
        TGrain proxy = DispatchProxy.Create<TGrain, GrainProxy>();
        var grainProxy = (GrainProxy)(object)proxy!;
        grainProxy.Invoker = invoker;
        grainProxy.Reference = new GrainReference(id, partition, partition == callerPartition);
        return proxy;
    }
}
