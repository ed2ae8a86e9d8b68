namespace Metering.Grains.Subscriptions;

public enum CancelStatus
{
    Canceled,

    /// <summary>The subscription had already ended.</summary>
    AlreadyEnded,

    /// <summary>Events stamped at or after the requested end were accepted already.</summary>
    EventsAfterEnd,

    /// <summary>A finalized invoice covers time after the requested end.</summary>
    PeriodClosed,
}
