namespace Metering.Grains.Usage;

public enum UsageWindow
{
    None,
    Hour,
    Day,
    Minute,
}
