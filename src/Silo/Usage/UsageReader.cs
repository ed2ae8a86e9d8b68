using Metering.Grains.Catalog;
using Metering.Grains.Subscriptions;
using Metering.Grains.Usage;
using Metering.Runtime;

namespace Metering.Silo.Usage;

/// <summary>
/// Reads a subscription's usage exactly, on any minute. Usage is kept per hour: the whole hours of a range come as hourly
/// cells from the subscription grain's memory (or from the history when the grain does not hold them), and only the parts of
/// the range that are not whole hours (at most an hour at each end) are read from the event log in minute cells. Both are
/// the same cells at two widths, merged by <see cref="UsageCalculator"/> for every aggregation (unique values included).
/// Minute windows need minute cells throughout: they are read from the event log.
/// </summary>
public sealed class UsageReader(IGrainFactory grains, UsageHistory history, MinuteUsageReader minutes)
{
    public async Task<UsageResult> ReadAsync(string tenant, string subscriptionId, Meter meter, UsageQuery query, CancellationToken ct)
    {
        if (query.Window == UsageWindow.Minute)
        {
            return await minutes.UsageAsync(tenant, subscriptionId, meter, query, ct).ConfigureAwait(false);
        }

        DateTimeOffset firstHour = UsageCalculator.HourOf(query.From) == query.From ? query.From : UsageCalculator.HourOf(query.From).AddHours(1);
        DateTimeOffset lastHour = UsageCalculator.HourOf(query.To);
        if (firstHour >= lastHour)
        {
            return await minutes.UsageAsync(tenant, subscriptionId, meter, query, ct).ConfigureAwait(false); // no whole hour inside
        }

        List<HourlyCell> cells = [.. await HourCellsAsync(tenant, subscriptionId, meter, query with { From = firstHour, To = lastHour }, ct).ConfigureAwait(false)];
        foreach ((DateTimeOffset from, DateTimeOffset to) in new[] { (query.From, firstHour), (lastHour, query.To) }.Where(edge => edge.Item1 < edge.Item2))
        {
            IReadOnlyList<SubjectCell> edge = await minutes.ReadAsync(tenant, meter, from, to, subscriptionId, [], ct).ConfigureAwait(false);
            cells.AddRange(edge.Select(c => new HourlyCell(c.Minute, c.GroupKey, c.Aggregate)));
        }

        return UsageCalculator.Build(meter, query, cells);
    }

    /// <summary>The hourly cells of whole hours [From, To): from the grain's memory, else from the history.</summary>
    private async Task<IReadOnlyList<HourlyCell>> HourCellsAsync(string tenant, string subscriptionId, Meter meter, UsageQuery hours, CancellationToken ct)
    {
        UsageCells held = await grains.GetGrain<ISubscriptionGrain>(SubscriptionKey.Of(tenant, subscriptionId)).GetCellsAsync(hours).ConfigureAwait(false);
        return held.Held ? held.Cells : await history.CellsAsync(tenant, subscriptionId, meter, hours, ct).ConfigureAwait(false);
    }
}
