namespace Metering.Grains.Catalog;

public enum Aggregation
{
    Count,
    Sum,
    UniqueCount,
    Max,
    Min,
    Latest,

    /// <summary>The mean of the counted events' values: the sum over the count, over whatever range is asked (never a mean
    /// of means).</summary>
    Avg,
}
