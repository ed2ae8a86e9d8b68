namespace Metering.Grains.Catalog;

/// <summary>A subscription holds a subject over [<see cref="From"/>, <see cref="To"/>); MinValue and MaxValue stand for no bound.</summary>
public sealed record SubjectHold(string SubscriptionId, DateTimeOffset From, DateTimeOffset To)
{
    public bool Covers(DateTimeOffset at) => at >= From && at < To;
}
