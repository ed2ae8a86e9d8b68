namespace Metering.Grains.Catalog;

/// <summary>A meter: which events it counts and how. <see cref="ValuePath"/> is the dot path split into segments. An archived
/// meter counts no event stamped at or after <see cref="ArchivedAt"/>, and keeps what it counted before.</summary>
public sealed record Meter(string Code, string EventType, Aggregation Aggregation, string? ValueProperty, IReadOnlyList<string> GroupBy, DateTimeOffset CreatedAt,
    string? Name = null, string? Description = null, DateTimeOffset? ArchivedAt = null)
{
    public IReadOnlyList<string> ValuePath { get; } = ValueProperty is null ? [] : ValueProperty.Split('.');

    /// <summary>Whether an event stamped at <paramref name="timestamp"/> is counted at all (the meter was not archived by then).</summary>
    public bool CountsAt(DateTimeOffset timestamp) => ArchivedAt is not { } archived || timestamp < archived;
}
