using Metering.Gateway.Infrastructure;
using Metering.Grains.Catalog;

namespace Metering.Gateway.Catalog;

/// <summary>A subscription as the API shows it, with the billing period it is in now (its last, cut at the end, once it has
/// ended); <c>plan</c> and <c>plan_version</c> are those in force now; <c>status</c> is <c>active</c> until <c>ended_at</c>, then
/// <c>ended</c>.</summary>
public sealed record SubscriptionJson(string Id, string CustomerId, string Plan, int PlanVersion, string Status, string StartedAt, string? EndedAt, IReadOnlyList<string> Subjects,
    PeriodJson CurrentPeriod, IReadOnlyList<PlanChangeJson> PlanChanges)
{
    public static SubscriptionJson Of(Subscription s, DateTimeOffset now)
    {
        BillingPeriod period = s.PeriodAt(now);
        PlanRef plan = s.PlanRefAt(now);
        return new(s.Id, s.CustomerId, plan.Code, plan.Version, s.HasEndedBy(now) ? "ended" : "active", Wire.Time(s.StartedAt), Wire.Time(s.EndedAt), s.Subjects,
            new PeriodJson(Wire.Time(period.Start), Wire.Time(period.End)), [.. (s.Changes ?? []).Select(c => new PlanChangeJson(Wire.Time(c.At), c.PlanCode, c.Version))]);
    }
}
