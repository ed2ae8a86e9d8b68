namespace Metering.Gateway.Usage;

/// <summary>Every meter of a subscription's plan over its current billing period.</summary>
public sealed record CurrentUsageJson(string SubscriptionId, string PeriodStart, string PeriodEnd, IReadOnlyList<UsageJson> Meters);
