using Metering.Grains.Webhooks;

namespace Metering.Grains.Quotas;

/// <summary>Which notifications a quota's usage has reached in its window, as a plain function: every threshold p with
/// used ≥ limit × p / 100, and the limit used up at used ≥ limit. A quota with a period reports thresholds as
/// <c>quota.threshold_reached</c>; credits (period none) report those under 100 % as <c>credits.low</c>. Both report
/// <c>quota.exhausted</c>. A limit of zero or less reports nothing (there is nothing to run out of).</summary>
public static class QuotaThresholds
{
    public static readonly IReadOnlyList<decimal> Default = [50m, 80m, 100m];

    public static IReadOnlyList<QuotaCrossing> Reached(QuotaDefinition definition, decimal limit, decimal used)
    {
        IReadOnlyList<decimal> thresholds = definition.Thresholds ?? Default;
        if (limit <= 0 || thresholds.Count == 0)
        {
            return [];
        }

        bool credits = definition.Period == QuotaPeriod.None;
        var reached = new List<QuotaCrossing>();
        foreach (decimal percent in thresholds.Order())
        {
            if (used < limit * (percent / 100m))
            {
                break;
            }

            if (!credits)
            {
                reached.Add(new QuotaCrossing(NotificationType.QuotaThresholdReached, percent));
            }
            else if (percent < 100m)
            {
                reached.Add(new QuotaCrossing(NotificationType.CreditsLow, percent));
            }
        }

        if (used >= limit)
        {
            reached.Add(new QuotaCrossing(NotificationType.QuotaExhausted, 100m));
        }

        return reached;
    }
}
