namespace Metering.Grains.Usage;

/// <summary>One minute of one subject and one group of one meter, read from the event log: what minute windows, ranges on
/// any minute, and queries by subject are built from.</summary>
public sealed record SubjectCell(DateTimeOffset Minute, string Subject, string GroupKey, Aggregate Aggregate);
