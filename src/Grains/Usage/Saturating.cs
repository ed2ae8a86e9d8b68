namespace Metering.Grains.Usage;

/// <summary>Decimal sums that stop at decimal's bounds (±79228162514264337593543950335) instead of throwing. Usage is
/// summed again from the event log whenever a grain activates, so a sum that threw would make the subscription (and its
/// quotas) unloadable for good, for events that were accepted and stored; a sum past the bound reads as the bound.</summary>
public static class Saturating
{
    public static decimal Add(decimal a, decimal b)
    {
        try
        {
            return a + b;
        }
        catch (OverflowException)
        {
            // Only two numbers of one sign overflow their sum, so either gives the direction.
            return a > 0 ? decimal.MaxValue : decimal.MinValue;
        }
    }

    public static decimal Subtract(decimal a, decimal b) => Add(a, -b);
}
