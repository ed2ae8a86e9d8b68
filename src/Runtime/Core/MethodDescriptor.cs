using System.Collections.Concurrent;
using System.Reflection;

namespace Metering.Runtime;

/// <summary>What the runtime knows of one grain interface method: whether it is read-only, its parameter and result types,
/// and a typed invoker.</summary>
internal sealed class MethodDescriptor
{
    private static readonly ConcurrentDictionary<MethodInfo, MethodDescriptor> s_cache = new();
    private static readonly ConcurrentDictionary<(Type, string), MethodDescriptor?> s_byName = new();
    private static readonly MethodInfo s_invokeTyped = typeof(MethodDescriptor).GetMethod(nameof(InvokeTyped), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo s_boxTyped = typeof(MethodDescriptor).GetMethod(nameof(BoxTyped), BindingFlags.NonPublic | BindingFlags.Static)!;
    private readonly Func<IGrainCallInvoker, GrainReference, object?[], object> _invoke;
    private readonly Func<IGrainCallInvoker, GrainReference, object?[], Task<object?>> _invokeBoxed;

    private MethodDescriptor(MethodInfo method)
    {
        Method = method;
        ReadOnly = method.IsDefined(typeof(ReadOnlyAttribute), inherit: false);
        ParameterTypes = [.. method.GetParameters().Select(p => p.ParameterType)];
        Type returnType = method.ReturnType;
        if (returnType == typeof(Task))
        {
            ResultType = null;
            _invoke = (c, r, a) => InvokeVoid(c, r, this, a);
            _invokeBoxed = async (c, r, a) =>
            {
                await c.InvokeAsync<VoidResult>(r, this, a).ConfigureAwait(false);
                return null;
            };
        }
        else if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            ResultType = returnType.GetGenericArguments()[0];
            _invoke = s_invokeTyped.MakeGenericMethod(ResultType)
                .CreateDelegate<Func<IGrainCallInvoker, GrainReference, object?[], object>>(this);
            _invokeBoxed = s_boxTyped.MakeGenericMethod(ResultType)
                .CreateDelegate<Func<IGrainCallInvoker, GrainReference, object?[], Task<object?>>>(this);
        }
        else
        {
            throw new NotSupportedException($"Grain method {method.DeclaringType?.Name}.{method.Name} must return Task or Task<T>.");
        }
    }

    public MethodInfo Method { get; }

    public bool ReadOnly { get; }

    public IReadOnlyList<Type> ParameterTypes { get; }

    /// <summary>The T of Task&lt;T&gt;, or null for Task.</summary>
    public Type? ResultType { get; }

    public static MethodDescriptor For(MethodInfo method) => s_cache.GetOrAdd(method, static m => new MethodDescriptor(m));

    /// <summary>The method of <paramref name="grainInterface"/> (or of an interface it extends) named <paramref name="name"/>;
    /// null when there is none, or more than one.</summary>
    public static MethodDescriptor? Find(Type grainInterface, string name) => s_byName.GetOrAdd((grainInterface, name), static key =>
    {
        MethodInfo[] methods = [.. key.Item1.GetInterfaces().Append(key.Item1).SelectMany(i => i.GetMethods()).Where(m => m.Name == key.Item2)];
        return methods.Length == 1 ? For(methods[0]) : null;
    });

    public object Invoke(IGrainCallInvoker invoker, GrainReference reference, object?[] args) => _invoke(invoker, reference, args);

    /// <summary>Invokes and boxes the result (null for Task), for a call that arrived from another silo.</summary>
    public Task<object?> InvokeBoxedAsync(IGrainCallInvoker invoker, GrainReference reference, object?[] args) => _invokeBoxed(invoker, reference, args);

    private static object InvokeTyped<T>(MethodDescriptor self, IGrainCallInvoker invoker, GrainReference reference, object?[] args)
        => invoker.InvokeAsync<T>(reference, self, args);

    private static async Task<object?> BoxTyped<T>(MethodDescriptor self, IGrainCallInvoker invoker, GrainReference reference, object?[] args)
        => await invoker.InvokeAsync<T>(reference, self, args).ConfigureAwait(false);

    private static async Task InvokeVoid(IGrainCallInvoker invoker, GrainReference reference, MethodDescriptor self, object?[] args)
        => await invoker.InvokeAsync<VoidResult>(reference, self, args).ConfigureAwait(false);

    internal readonly struct VoidResult;
}
