using System.Collections.Concurrent;
using System.Reflection;

namespace Metering.Runtime;

/// <summary>The proxy behind every grain interface reference; forwards calls to its invoker.</summary>
public class GrainProxy : DispatchProxy
{
    internal IGrainCallInvoker? Invoker { get; set; }

    internal GrainReference? Reference { get; set; }

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        => MethodDescriptor.For(targetMethod!).Invoke(Invoker!, Reference!, args ?? []);
}
