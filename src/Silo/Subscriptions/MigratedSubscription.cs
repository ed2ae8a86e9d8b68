namespace Metering.Silo.Subscriptions;

/// <summary>A subscription a migration moves from version <see cref="FromVersion"/> to the latest, from <see cref="At"/> on.</summary>
public sealed record MigratedSubscription(string SubscriptionId, int FromVersion, DateTimeOffset At);
