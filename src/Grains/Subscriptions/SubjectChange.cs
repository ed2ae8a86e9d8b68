namespace Metering.Grains.Subscriptions;

/// <summary>A subject added to a subscription from <see cref="At"/> on, or removed from it at <see cref="At"/>. With
/// <see cref="AfterAcceptedEvents"/> ("now"), a removal moves past the subject's newest accepted event.</summary>
public sealed record SubjectChange(string Subject, DateTimeOffset At, bool AfterAcceptedEvents);

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

/// <summary>What a subject change did: the instant it took effect.</summary>
public sealed record SubjectChangeOutcome(SubjectChangeStatus Status, DateTimeOffset? At = null);

/// <summary>A subject a subscription holds over [<see cref="From"/>, <see cref="To"/>) (MinValue and MaxValue: no bound).</summary>
public sealed record HeldSubject(string Subject, DateTimeOffset From, DateTimeOffset To);
