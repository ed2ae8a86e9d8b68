namespace Metering.Gateway.Catalog;

/// <summary>A subscription a migration moves from <c>from_version</c> to <c>to_version</c>, from <c>at</c> (its period end) on.</summary>
public sealed record MigratedSubscriptionJson(string SubscriptionId, int FromVersion, int ToVersion, string At);
