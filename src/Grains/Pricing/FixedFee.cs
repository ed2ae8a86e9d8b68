using Metering.Grains.Catalog;

namespace Metering.Grains.Pricing;

/// <summary>The fixed fee a period is charged.</summary>
public static class FixedFee
{
    /// <summary>The plan's fee; for a period cut short (a subscription's last) under <see cref="Proration.Daily"/>, the fee times
    /// the days it covers (a day begun counts whole) over the days of the <paramref name="full"/> period it was cut from.
    /// Unrounded: the invoice rounds its lines.</summary>
    public static decimal For(decimal fee, Proration proration, BillingPeriod period, BillingPeriod full)
    {
        if (proration == Proration.None || period.End >= full.End || full.End <= full.Start)
        {
            return fee;
        }

        decimal used = Math.Ceiling((decimal)(period.End - period.Start).Ticks / TimeSpan.TicksPerDay);
        decimal days = (decimal)(full.End - full.Start).Ticks / TimeSpan.TicksPerDay;
        return fee * Math.Min(used, days) / days;
    }
}
