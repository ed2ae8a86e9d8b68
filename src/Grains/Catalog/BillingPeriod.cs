namespace Metering.Grains.Catalog;

/// <summary>A billing period [Start, End); <see cref="Last"/> when it is a subscription's last, cut where it ended.</summary>
public readonly record struct BillingPeriod(DateTimeOffset Start, DateTimeOffset End, bool Last = false)
{
    /// <summary>The usage a period bills, as usage is kept: the whole UTC hours from the hour holding <see cref="Start"/> up to
    /// the hour holding <see cref="End"/>. Consecutive periods tile exactly, and a period starting at 10:30 includes 10:00-11:00.
    /// A last period also bills the hour holding its end: no period follows it, and no event stamped after the end is taken.</summary>
    public (DateTimeOffset From, DateTimeOffset To) UsageHours
    {
        get
        {
            DateTimeOffset to = Usage.UsageCalculator.HourOf(End);
            return (Usage.UsageCalculator.HourOf(Start), Last && to < End ? to.AddHours(1) : to);
        }
    }

    /// <summary>The period that contains <paramref name="at"/>; the first period for instants before the anchor.
    /// Periods repeat from the anchor: the k-th starts at anchor + k intervals, computed from the anchor each time, so a
    /// month anchored on the 31st falls back to a shorter month's last day and returns to the 31st after it.</summary>
    public static BillingPeriod At(DateTimeOffset anchor, BillingInterval interval, DateTimeOffset at)
    {
        anchor = anchor.ToUniversalTime();
        long k = interval switch
        {
            BillingInterval.Day => (long)Math.Floor((at - anchor).TotalDays),
            BillingInterval.Week => (long)Math.Floor((at - anchor).TotalDays / 7),
            BillingInterval.Month => ((at.Year - anchor.Year) * 12) + at.Month - anchor.Month,
            _ => at.Year - anchor.Year,
        };
        k = Math.Max(k, 0);
        while (k > 0 && StartOf(anchor, interval, k) > at)
        {
            k--;
        }

        while (StartOf(anchor, interval, k + 1) <= at)
        {
            k++;
        }

        return new BillingPeriod(StartOf(anchor, interval, k), StartOf(anchor, interval, k + 1));
    }

    /// <summary>The periods from the anchor that end at or before <paramref name="before"/>, in order.</summary>
    public static IEnumerable<BillingPeriod> EndedBy(DateTimeOffset anchor, BillingInterval interval, DateTimeOffset before)
    {
        for (long k = 0; StartOf(anchor, interval, k + 1) <= before; k++)
        {
            yield return new BillingPeriod(StartOf(anchor, interval, k), StartOf(anchor, interval, k + 1));
        }
    }

    public static DateTimeOffset StartOf(DateTimeOffset anchor, BillingInterval interval, long k) => interval switch
    {
        BillingInterval.Day => anchor.AddDays(k),
        BillingInterval.Week => anchor.AddDays(7 * k),
        BillingInterval.Month => anchor.AddMonths((int)k),
        _ => anchor.AddYears((int)k),
    };
}
