namespace Metering.Silo.Catalog;

public enum PlanChangeStatus
{
    Changed,

    /// <summary>The subscription ends at or before the change.</summary>
    Ended,

    /// <summary>A finalized invoice covers time after the change.</summary>
    PeriodClosed,

    /// <summary>A migration found the subscription on another plan or version than it read, or with a change scheduled after.</summary>
    Superseded,
}
