namespace Metering.Grains.Subscriptions;

public enum SubjectChangeStatus
{
    Done,

    /// <summary>Another subscription holds the subject over part of that time.</summary>
    Taken,

    /// <summary>The subscription ends at or before that time.</summary>
    Ended,

    /// <summary>The subscription does not hold the subject then.</summary>
    NotHeld,

    /// <summary>Events of the subject stamped at or after the removal were accepted already.</summary>
    EventsAfter,
}
