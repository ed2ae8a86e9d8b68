using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metering.Runtime;

/// <summary>Raised when a grain's partition is not owned by this silo.</summary>
public sealed class NotOwnerException(GrainId id, int partition)
    : Exception($"This silo does not own partition {partition} of {id}.")
{
    /// <summary>The grain called.</summary>
    public GrainId Grain { get; } = id;

    /// <summary>The partition of the grain.</summary>
    public int Partition { get; } = partition;
}
