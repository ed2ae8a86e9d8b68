using System.Reflection;
using Metering.Runtime.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metering.Runtime;

/// <summary>Maps grain interfaces to their classes.</summary>
public sealed class GrainTypeRegistry
{
    private readonly Dictionary<Type, Type> _map = [];

    /// <summary>Registers <typeparamref name="TGrain"/> as the class of <typeparamref name="TInterface"/>.</summary>
    public void Add<TInterface, TGrain>() where TInterface : IGrainWithStringKey where TGrain : Grain, TInterface
        => _map[typeof(TInterface)] = typeof(TGrain);

    /// <summary>The registered grain interface whose full name is <paramref name="name"/>, or null.</summary>
    public Type? InterfaceNamed(string name) => _map.Keys.FirstOrDefault(t => t.FullName == name);

    internal Type Implementation(Type grainInterface)
        => _map.TryGetValue(grainInterface, out Type? type)
            ? type
            : throw new InvalidOperationException($"No grain class is registered for {grainInterface.Name}.");
}
