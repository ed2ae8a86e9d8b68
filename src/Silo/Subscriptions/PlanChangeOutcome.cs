using Metering.Grains.Catalog;

namespace Metering.Silo.Subscriptions;

public enum PlanChangeResult
{
    Changed,
    SubscriptionNotFound,
    PlanNotFound,

    /// <summary>The new plan bills in another currency or interval, which would change the periods or their money.</summary>
    PlanNotCompatible,

    /// <summary>The subscription is on that plan already at that time.</summary>
    SamePlan,

    /// <summary>The change would be at or before the subscription's start.</summary>
    BeforeStart,
    Ended,
    PeriodClosed,
}

/// <summary>What a plan change did, with the subscription after it and the quotas it reset.</summary>
public sealed record PlanChangeOutcome(PlanChangeResult Result, Subscription? After = null, DateTimeOffset? At = null, IReadOnlyList<string>? QuotasReset = null);
