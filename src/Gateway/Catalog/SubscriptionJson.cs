using Metering.Gateway.Infrastructure;
using Metering.Grains.Catalog;

namespace Metering.Gateway.Catalog;

/// <summary>A subscription as the API shows it, with the billing period it is in now.</summary>
public sealed record SubscriptionJson(string Id, string CustomerId, string Plan, string StartedAt, IReadOnlyList<string> Subjects, PeriodJson CurrentPeriod)
{
    public static SubscriptionJson Of(Subscription s, DateTimeOffset now)
    {
        BillingPeriod period = s.PeriodAt(now);
        return new(s.Id, s.CustomerId, s.PlanCode, Wire.Time(s.StartedAt), s.Subjects, new PeriodJson(Wire.Time(period.Start), Wire.Time(period.End)));
    }
}
