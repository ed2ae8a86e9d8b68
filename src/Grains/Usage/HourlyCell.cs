using Metering.Grains.Catalog;

namespace Metering.Grains.Usage;

/// <summary>One hour of one group of one meter (or one minute, for cells read from the event log): <see cref="Hour"/> is
/// where the cell starts.</summary>
public readonly record struct HourlyCell(DateTimeOffset Hour, string GroupKey, Aggregate Aggregate);
