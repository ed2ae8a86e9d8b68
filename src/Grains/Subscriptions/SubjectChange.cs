namespace Metering.Grains.Subscriptions;

/// <summary>A subject added to a subscription from <see cref="At"/> on, or removed from it at <see cref="At"/>. With
/// <see cref="AfterAcceptedEvents"/> ("now"), a removal moves past the subject's newest accepted event.</summary>
public sealed record SubjectChange(string Subject, DateTimeOffset At, bool AfterAcceptedEvents);
