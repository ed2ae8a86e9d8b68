namespace Metering.Runtime;

/// <summary>Marks a grain method that does not change state: it may interleave with other read-only calls.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadOnlyAttribute : Attribute
{
}
