using Metering.Grains.Catalog;

namespace Metering.Grains.Pricing;

/// <summary>The fixed fee a period, or a part of one on one plan, is charged.</summary>
public static class FixedFee
{
    /// <summary>The fee of a plan for <paramref name="part"/> of the <paramref name="full"/> period. With <see cref="Proration.None"/>
    /// the plan in force at the period's start (the <paramref name="first"/> part) charges its fee in full and a plan changed to
    /// within the period charges from the next one. With <see cref="Proration.Daily"/> a part charges the fee times its days over
    /// the full period's days: the exact days up to a plan change, the days begun up to a subscription's end. Unrounded.</summary>
    public static decimal For(decimal fee, Proration proration, BillingPeriod part, BillingPeriod full, bool first)
    {
        if (proration == Proration.None)
        {
            return first ? fee : 0m;
        }

        if ((part.Start <= full.Start && part.End >= full.End) || full.End <= full.Start)
        {
            return fee;
        }

        decimal exact = (decimal)(part.End - part.Start).Ticks / TimeSpan.TicksPerDay;
        decimal used = part.Last ? Math.Ceiling(exact) : exact;
        decimal days = (decimal)(full.End - full.Start).Ticks / TimeSpan.TicksPerDay;
        return fee * Math.Min(used, days) / days;
    }
}
