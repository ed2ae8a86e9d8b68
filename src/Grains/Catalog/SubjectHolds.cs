namespace Metering.Grains.Catalog;

/// <summary>Every hold of one subject, which never overlap (PostgreSQL refuses two holders at one instant).</summary>
public sealed record SubjectHolds(IReadOnlyList<SubjectHold> Holds)
{
    /// <summary>The subscription that held the subject at <paramref name="at"/>, or null.</summary>
    public string? HolderAt(DateTimeOffset at) => Holds.FirstOrDefault(h => h.Covers(at))?.SubscriptionId;

    /// <summary>The subscription whose hold ended last at or before <paramref name="at"/>: an event then meets an ended subscription.</summary>
    public string? EndedBefore(DateTimeOffset at) => Holds.Where(h => h.To <= at).MaxBy(h => h.To)?.SubscriptionId;
}
