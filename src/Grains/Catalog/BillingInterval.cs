namespace Metering.Grains.Catalog;

public enum BillingInterval
{
    Day,
    Week,
    Month,
    Year,
}
