namespace Metering.Grains.Usage;

/// <summary>The windows of a meter query (OpenMeter's <c>windowSize</c>); day and month windows follow the query's time zone.</summary>
public enum MeterWindowSize
{
    Minute,
    Hour,
    Day,
    Month,
}
