namespace Metering.Grains.Usage;

/// <summary>One row of a meter query: a window (the whole range without windows), the subject when grouped by it, the values
/// of the other grouped dimensions, and the meter's value (null for min/max/latest/avg over no counted event).</summary>
public sealed record MeterQueryRow(DateTimeOffset WindowStart, DateTimeOffset WindowEnd, string? Subject, IReadOnlyDictionary<string, string> GroupBy, decimal? Value);
