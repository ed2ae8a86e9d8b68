namespace Metering.Grains.Quotas;

public enum QuotaOverflow
{
    Block,
    AllowOverage,
}
