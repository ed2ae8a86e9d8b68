namespace Metering.Runtime;

/// <summary>A silo's place in the cluster's life cycle.</summary>
public enum SiloStatus
{
    /// <summary>Started, taking its share of partitions.</summary>
    Joining,

    /// <summary>Serving.</summary>
    Active,

    /// <summary>Stopping gracefully: handing its partitions off.</summary>
    Leaving,

    /// <summary>Gone: stopped, or declared dead when its heartbeat lapsed past the lease.</summary>
    Dead,
}
