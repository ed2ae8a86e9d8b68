using Metering.Grains.Catalog;

namespace Metering.Grains.Usage;

/// <summary>A usage query: [From, To) on whole UTC hours (or minutes, answered from the event log), windowed, grouped by
/// some of the meter's group_by dimensions.</summary>
public sealed record UsageQuery(string Meter, DateTimeOffset From, DateTimeOffset To, UsageWindow Window, IReadOnlyList<string> GroupBy);
