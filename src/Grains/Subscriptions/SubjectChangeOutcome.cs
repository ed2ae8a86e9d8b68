namespace Metering.Grains.Subscriptions;

/// <summary>What a subject change did: the instant it took effect.</summary>
public sealed record SubjectChangeOutcome(SubjectChangeStatus Status, DateTimeOffset? At = null);
