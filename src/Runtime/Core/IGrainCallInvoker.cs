using System.Reflection;

namespace Metering.Runtime;

/// <summary>Carries a grain call to where the grain lives: this silo's catalog, or a remote silo.</summary>
internal interface IGrainCallInvoker
{
    Task<T> InvokeAsync<T>(GrainReference reference, MethodDescriptor method, object?[] args);
}
