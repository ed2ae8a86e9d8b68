using Metering.Grains.Catalog;

namespace Metering.Silo.Subscriptions;

/// <summary>What a plan change did, with the subscription after it and the quotas it reset.</summary>
public sealed record PlanChangeOutcome(PlanChangeResult Result, Subscription? After = null, DateTimeOffset? At = null, IReadOnlyList<string>? QuotasReset = null);
