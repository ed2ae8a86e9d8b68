namespace Metering.Grains.Subscriptions;

/// <summary>Ends a subscription at <see cref="At"/>. With <see cref="AfterAcceptedEvents"/> ("now"), the end moves past the newest
/// event already accepted (one stamped a little ahead of the clock), so no accepted event falls after it; otherwise such an
/// event refuses the cancel.</summary>
public sealed record CancelRequest(DateTimeOffset At, bool AfterAcceptedEvents, DateTimeOffset RequestedAt);
