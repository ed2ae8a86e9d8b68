using System.Reflection;

namespace Metering.Runtime;

/// <summary>A reference to a grain: what a proxy holds. Caches the activation it last reached. <see cref="LocalOnly"/>: the
/// caller is a grain of the same partition, so the call must run here or not at all (a grain whose partition moved may not
/// act on it through the new owner).</summary>
internal sealed class GrainReference(GrainId id, int partition, bool localOnly)
{
    public GrainId Id { get; } = id;

    public int Partition { get; } = partition;

    public bool LocalOnly { get; } = localOnly;

    public Activation? Cached { get; set; }
}
