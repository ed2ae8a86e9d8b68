namespace Metering.Grains.Pricing;

public enum ChargeModel
{
    Flat,
    PerUnit,
    Graduated,
    Volume,
    Package,
    Percentage,
}
