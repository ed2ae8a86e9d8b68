namespace Metering.Grains.Quotas;

public enum QuotaPeriod
{
    Minute,
    Hour,
    Day,
    Month,
    BillingPeriod,
    None,
}
