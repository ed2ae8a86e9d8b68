namespace Metering.Grains.Quotas;

public enum RefillInterval
{
    Day,
    Month,
}
