using Metering.Grains.Catalog;

namespace Metering.Grains.Usage;

/// <summary>The answer to a usage query. <see cref="Held"/> is false when the grain does not hold the range (ask the history).</summary>
public sealed record UsageResult(
    bool Held,
    string Meter,
    Aggregation Aggregation,
    DateTimeOffset From,
    DateTimeOffset To,
    decimal? Value,
    long Events,
    IReadOnlyList<UsageWindowResult> Windows,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, decimal?>>? Groups)
{
    public static UsageResult NotHeld(UsageQuery query)
        => new(false, query.Meter, Aggregation.Count, query.From, query.To, null, 0, [], null);
}
