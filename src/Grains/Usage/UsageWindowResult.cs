namespace Metering.Grains.Usage;

public sealed record UsageWindowResult(DateTimeOffset Start, DateTimeOffset End, decimal? Value, long Events, IReadOnlyDictionary<string, IReadOnlyDictionary<string, decimal?>>? Groups);
