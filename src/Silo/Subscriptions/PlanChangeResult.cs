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
