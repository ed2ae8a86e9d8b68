using System.Collections.Concurrent;
using System.Reflection;

namespace Metering.Runtime;

/// <summary>A reference to a grain: what a proxy holds. Caches the activation it last reached.</summary>
internal sealed class GrainReference(GrainId id)
{
    public GrainId Id { get; } = id;

    public Activation? Cached { get; set; }
}

/// <summary>The proxy behind every grain interface reference; forwards calls to the catalog.</summary>
public class GrainProxy : DispatchProxy
{
    internal Catalog? Catalog { get; set; }

    internal GrainReference? Reference { get; set; }

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        => Catalog!.Dispatch(Reference!, targetMethod!, args);
}

internal sealed class GrainFactory(Catalog catalog) : IGrainFactory
{
    public TGrain GetGrain<TGrain>(string key) where TGrain : IGrainWithStringKey
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        TGrain proxy = DispatchProxy.Create<TGrain, GrainProxy>();
        var grainProxy = (GrainProxy)(object)proxy!;
        grainProxy.Catalog = catalog;
        grainProxy.Reference = new GrainReference(new GrainId(typeof(TGrain), key));
        return proxy;
    }
}

/// <summary>What the runtime knows of one grain interface method: whether it is read-only, and a typed invoker.</summary>
internal sealed class MethodDescriptor
{
    private static readonly ConcurrentDictionary<MethodInfo, MethodDescriptor> s_cache = new();
    private static readonly MethodInfo s_invokeTyped = typeof(MethodDescriptor).GetMethod(nameof(InvokeTyped), BindingFlags.NonPublic | BindingFlags.Static)!;
    private readonly Func<Catalog, GrainReference, object?[], object> _invoke;

    private MethodDescriptor(MethodInfo method)
    {
        Method = method;
        ReadOnly = method.IsDefined(typeof(ReadOnlyAttribute), inherit: false);
        Type returnType = method.ReturnType;
        if (returnType == typeof(Task))
        {
            _invoke = (c, r, a) => InvokeVoid(c, r, this, a);
        }
        else if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            _invoke = s_invokeTyped.MakeGenericMethod(returnType.GetGenericArguments()[0])
                .CreateDelegate<Func<Catalog, GrainReference, object?[], object>>(this);
        }
        else
        {
            throw new NotSupportedException($"Grain method {method.DeclaringType?.Name}.{method.Name} must return Task or Task<T>.");
        }
    }

    public MethodInfo Method { get; }

    public bool ReadOnly { get; }

    public static MethodDescriptor For(MethodInfo method) => s_cache.GetOrAdd(method, static m => new MethodDescriptor(m));

    public object Invoke(Catalog catalog, GrainReference reference, object?[] args) => _invoke(catalog, reference, args);

    private static object InvokeTyped<T>(MethodDescriptor self, Catalog catalog, GrainReference reference, object?[] args)
        => catalog.InvokeAsync<T>(reference, self, args);

    private static async Task InvokeVoid(Catalog catalog, GrainReference reference, MethodDescriptor self, object?[] args)
        => await catalog.InvokeAsync<VoidResult>(reference, self, args).ConfigureAwait(false);

    internal readonly struct VoidResult;
}
