using Metering.Grains.Quotas;
using Metering.Grains.Webhooks;

namespace Metering.UnitTests.Webhooks;

public sealed class QuotaThresholdsTests
{
    private static readonly QuotaDefinition s_monthly = new(10, QuotaPeriod.Month, QuotaOverflow.Block, null);
    private static readonly QuotaDefinition s_credits = new(10, QuotaPeriod.None, QuotaOverflow.Block, null);

    private static (NotificationType, decimal)[] Reached(QuotaDefinition definition, decimal limit, decimal used)
        => [.. QuotaThresholds.Reached(definition, limit, used).Select(c => (c.Type, c.Threshold))];

    [Fact]
    public void A_quota_with_a_period_reports_each_threshold_reached_and_exhaustion_at_the_limit()
    {
        Assert.Empty(Reached(s_monthly, 10, 4.99m));
        Assert.Equal([(NotificationType.QuotaThresholdReached, 50m)], Reached(s_monthly, 10, 5));
        Assert.Equal([(NotificationType.QuotaThresholdReached, 50m), (NotificationType.QuotaThresholdReached, 80m)], Reached(s_monthly, 10, 9.9m));
        Assert.Equal(
            [(NotificationType.QuotaThresholdReached, 50m), (NotificationType.QuotaThresholdReached, 80m), (NotificationType.QuotaThresholdReached, 100m), (NotificationType.QuotaExhausted, 100m)],
            Reached(s_monthly, 10, 12));
    }

    [Fact]
    public void Credits_report_thresholds_below_the_limit_as_running_low_then_exhaustion()
    {
        Assert.Equal([(NotificationType.CreditsLow, 50m), (NotificationType.CreditsLow, 80m)], Reached(s_credits, 10, 8));
        Assert.Equal([(NotificationType.CreditsLow, 50m), (NotificationType.CreditsLow, 80m), (NotificationType.QuotaExhausted, 100m)], Reached(s_credits, 10, 10));
    }

    [Fact]
    public void Thresholds_are_the_quotas_own_in_order_none_when_empty_and_nothing_without_a_limit()
    {
        QuotaDefinition custom = s_monthly with { Thresholds = [90m, 25m] };
        Assert.Equal([(NotificationType.QuotaThresholdReached, 25m), (NotificationType.QuotaThresholdReached, 90m)], Reached(custom, 100, 95));
        Assert.Empty(Reached(s_monthly with { Thresholds = [] }, 10, 10));
        Assert.Empty(Reached(s_monthly, 0, 5));
        Assert.Empty(Reached(s_monthly, -1, 5));
    }

    [Fact]
    public void Definitions_with_the_same_thresholds_are_equal_and_others_are_not()
    {
        Assert.Equal(s_monthly, s_monthly with { Thresholds = [50m, 80m, 100m] });
        Assert.Equal(s_monthly.GetHashCode(), (s_monthly with { Thresholds = [50m, 80m, 100m] }).GetHashCode());
        Assert.NotEqual(s_monthly, s_monthly with { Thresholds = [50m] });
        Assert.NotEqual(s_monthly, s_monthly with { Limit = 11 });
        Assert.False(s_monthly.Equals(null));
    }
}
