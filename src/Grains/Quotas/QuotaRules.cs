using Metering.Grains.Catalog;
using Metering.Grains.Usage;

namespace Metering.Grains.Quotas;

/// <summary>The decisions of quotas, as plain functions of their state and the server's clock.</summary>
public static class QuotaRules
{
    /// <summary>The epoch in force at <paramref name="now"/>: the UTC window of the period, or the credit balance (restored at
    /// the last refill boundary if one passed since it was set).</summary>
    public static QuotaEpoch EpochAt(QuotaState state, Subscription subscription, DateTimeOffset now)
    {
        QuotaDefinition definition = state.Definition ?? throw new InvalidOperationException("The quota is not configured.");
        now = now.ToUniversalTime();
        if (definition.Period == QuotaPeriod.BillingPeriod)
        {
            BillingPeriod period = subscription.PeriodAt(now);
            return new QuotaEpoch(period.Start, period.End, 0, definition.Limit);
        }

        if (definition.Period != QuotaPeriod.None)
        {
            DateTimeOffset start = WindowStart(definition.Period, now);
            return new QuotaEpoch(start, WindowEnd(definition.Period, start), 0, definition.Limit);
        }

        if (definition.Refill is not { } refill)
        {
            return new QuotaEpoch(DateTimeOffset.MinValue, null, state.CutSeq, state.Balance);
        }

        DateTimeOffset boundary = RefillBoundary(refill.Interval, now);
        DateTimeOffset next = WindowEnd(RefillPeriod(refill.Interval), boundary);
        return boundary > state.CutTime
            ? new QuotaEpoch(boundary, next, 0, refill.Amount)
            : new QuotaEpoch(state.CutTime, next, state.CutSeq, state.Balance);
    }

    /// <summary>The last refill boundary at or before <paramref name="now"/>.</summary>
    public static DateTimeOffset RefillBoundary(RefillInterval interval, DateTimeOffset now) => WindowStart(RefillPeriod(interval), now);

    private static QuotaPeriod RefillPeriod(RefillInterval interval) => interval == RefillInterval.Day ? QuotaPeriod.Day : QuotaPeriod.Month;

    /// <summary>The UTC minute, hour, day or month containing <paramref name="now"/> starts here.</summary>
    private static DateTimeOffset WindowStart(QuotaPeriod period, DateTimeOffset now)
    {
        now = now.ToUniversalTime();
        return period switch
        {
            QuotaPeriod.Minute => new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero),
            QuotaPeriod.Hour => new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero),
            QuotaPeriod.Day => new DateTimeOffset(now.Year, now.Month, now.Day, 0, 0, 0, TimeSpan.Zero),
            _ => new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero),
        };
    }

    private static DateTimeOffset WindowEnd(QuotaPeriod period, DateTimeOffset start) => period switch
    {
        QuotaPeriod.Minute => start.AddMinutes(1),
        QuotaPeriod.Hour => start.AddHours(1),
        QuotaPeriod.Day => start.AddDays(1),
        _ => start.AddMonths(1),
    };

    /// <summary>The answer to "may <paramref name="amount"/> more be used?": allowed when used + amount ≤ limit, or always
    /// with overage allowed (the overage reported). Remaining is max(limit − used, 0).</summary>
    public static QuotaView Decide(string meter, QuotaDefinition definition, QuotaEpoch epoch, decimal used, decimal amount)
    {
        bool overage = definition.Overflow == QuotaOverflow.AllowOverage;
        return new QuotaView(
            meter,
            definition,
            epoch.Limit,
            used,
            Math.Max(Saturating.Subtract(epoch.Limit, used), 0),
            overage ? Math.Max(Saturating.Subtract(used, epoch.Limit), 0) : null,
            epoch.End,
            overage || Saturating.Add(used, amount) <= epoch.Limit);
    }

    /// <summary>The new credit balance after an adjustment of the remaining <paramref name="remaining"/>; never below zero.</summary>
    public static decimal Adjust(decimal remaining, CreditAdjustment adjustment)
        => adjustment.Set ?? Math.Max(Saturating.Subtract(Saturating.Add(remaining, adjustment.Increment ?? 0), adjustment.Decrement ?? 0), 0);

    /// <summary>Whether usage of a meter with this aggregation can be consumed (recorded as an event of an amount).</summary>
    public static bool CanConsume(Aggregation aggregation) => aggregation is Aggregation.Count or Aggregation.Sum;
}
