namespace Metering.Grains.Catalog;

public enum Proration
{
    /// <summary>A partial period's fixed fee is charged in full.</summary>
    None,

    /// <summary>A partial period's fixed fee is charged for the days it covers (a day begun counts whole) over the days of the full period.</summary>
    Daily,
}
