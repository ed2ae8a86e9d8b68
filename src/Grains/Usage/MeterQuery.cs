namespace Metering.Grains.Usage;

/// <summary>A query of one meter across subjects: [From, To) on whole minutes, optional windows in a time zone, grouped by
/// <c>subject</c> and/or some of the meter's group_by dimensions, filtered by subjects and by group values.</summary>
public sealed record MeterQuery(
    DateTimeOffset From,
    DateTimeOffset To,
    MeterWindowSize? WindowSize,
    TimeZoneInfo TimeZone,
    IReadOnlyList<string> Subjects,
    IReadOnlyList<string> GroupBy,
    IReadOnlyDictionary<string, string> Filters)
{
    public const string SubjectDimension = "subject";
}
