using Metering.Grains.Catalog;
using Metering.Grains.Quotas;

namespace Metering.UnitTests.Quotas;

public sealed class QuotaRulesTests
{
    private static readonly Subscription s_subscription = new("sub_1", "cust_1", "pro", BillingInterval.Month,
        T("2026-01-31T00:00:00Z"), ["agent:a"], T("2026-01-31T00:00:00Z"));

    private static DateTimeOffset T(string s) => DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    private static QuotaState Windowed(QuotaPeriod period, decimal limit = 10)
        => new() { Definition = new QuotaDefinition(limit, period, QuotaOverflow.Block, null) };

    [Theory]
    [InlineData(QuotaPeriod.Minute, "2026-11-21T10:17:42.5Z", "2026-11-21T10:17:00Z", "2026-11-21T10:18:00Z")]
    [InlineData(QuotaPeriod.Hour, "2026-11-21T10:17:42Z", "2026-11-21T10:00:00Z", "2026-11-21T11:00:00Z")]
    [InlineData(QuotaPeriod.Hour, "2026-11-21T10:00:00Z", "2026-11-21T10:00:00Z", "2026-11-21T11:00:00Z")]
    [InlineData(QuotaPeriod.Day, "2026-11-21T23:59:59.999Z", "2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z")]
    [InlineData(QuotaPeriod.Month, "2026-12-31T12:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    [InlineData(QuotaPeriod.BillingPeriod, "2026-02-28T12:00:00Z", "2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z")]
    public void Windows_are_aligned_to_utc_boundaries_of_server_time(QuotaPeriod period, string now, string start, string end)
    {
        QuotaEpoch epoch = QuotaRules.EpochAt(Windowed(period), s_subscription, T(now));
        Assert.Equal(T(start), epoch.Start);
        Assert.Equal(T(end), epoch.End);
        Assert.Equal(0, epoch.AfterSeq);
        Assert.Equal(10, epoch.Limit);
    }

    [Fact]
    public void A_window_counts_by_receive_time_not_by_the_events_timestamp()
    {
        QuotaEpoch epoch = QuotaRules.EpochAt(Windowed(QuotaPeriod.Hour), s_subscription, T("2026-11-21T10:30:00Z"));
        Assert.True(epoch.Contains(T("2026-11-21T10:00:00Z"), 1));
        Assert.True(epoch.Contains(T("2026-11-21T10:59:59.9999999Z"), 2));
        Assert.False(epoch.Contains(T("2026-11-21T11:00:00Z"), 3));
        Assert.False(epoch.Contains(T("2026-11-21T09:59:59Z"), 4));
    }

    [Fact]
    public void Credits_without_refill_count_events_after_the_cut()
    {
        var state = new QuotaState { Definition = new QuotaDefinition(100, QuotaPeriod.None, QuotaOverflow.Block, null), Balance = 40, CutSeq = 17 };
        QuotaEpoch epoch = QuotaRules.EpochAt(state, s_subscription, T("2030-01-01T00:00:00Z"));
        Assert.Null(epoch.End);
        Assert.Equal(40, epoch.Limit);
        Assert.False(epoch.Contains(T("2029-01-01T00:00:00Z"), 17));
        Assert.True(epoch.Contains(T("2020-01-01T00:00:00Z"), 18));
    }

    [Fact]
    public void Credits_with_refill_keep_an_adjusted_balance_until_the_next_boundary_then_restore_the_amount()
    {
        var state = new QuotaState
        {
            Definition = new QuotaDefinition(100, QuotaPeriod.None, QuotaOverflow.Block, new QuotaRefill(50, RefillInterval.Day)),
            Balance = 7,
            CutSeq = 30,
            CutTime = T("2026-11-21T00:00:00Z"),
        };

        QuotaEpoch sameDay = QuotaRules.EpochAt(state, s_subscription, T("2026-11-21T23:00:00Z"));
        Assert.Equal(7, sameDay.Limit);
        Assert.Equal(30, sameDay.AfterSeq);
        Assert.Equal(T("2026-11-22T00:00:00Z"), sameDay.End);

        QuotaEpoch nextDay = QuotaRules.EpochAt(state, s_subscription, T("2026-11-22T00:00:00Z"));
        Assert.Equal(50, nextDay.Limit);
        Assert.Equal(0, nextDay.AfterSeq);
        Assert.Equal(T("2026-11-22T00:00:00Z"), nextDay.Start);
        Assert.Equal(T("2026-11-23T00:00:00Z"), nextDay.End);
        Assert.False(nextDay.Contains(T("2026-11-21T23:59:59Z"), 99));

        QuotaEpoch monthly = QuotaRules.EpochAt(
            new QuotaState { Definition = state.Definition with { Refill = new QuotaRefill(50, RefillInterval.Month) }, Balance = 7, CutTime = T("2026-11-01T00:00:00Z") },
            s_subscription, T("2026-12-03T08:00:00Z"));
        Assert.Equal(T("2026-12-01T00:00:00Z"), monthly.Start);
        Assert.Equal(T("2027-01-01T00:00:00Z"), monthly.End);
        Assert.Equal(50, monthly.Limit);
    }

    [Theory]
    [InlineData(10, 9, 1, QuotaOverflow.Block, true, 1, null)]
    [InlineData(10, 10, 1, QuotaOverflow.Block, false, 0, null)]
    [InlineData(100, 80, 20, QuotaOverflow.Block, true, 20, null)]
    [InlineData(100, 81, 20, QuotaOverflow.Block, false, 19, null)]
    [InlineData(10, 12, 1, QuotaOverflow.Block, false, 0, null)]
    [InlineData(1000, 1001, 1, QuotaOverflow.AllowOverage, true, 0, 1)]
    [InlineData(1000, 400, 1, QuotaOverflow.AllowOverage, true, 600, 0)]
    public void Decision_allows_when_used_plus_amount_fits(int limit, int used, int amount, QuotaOverflow overflow, bool allowed, int remaining, int? overage)
    {
        var definition = new QuotaDefinition(limit, QuotaPeriod.Hour, overflow, null);
        QuotaView view = QuotaRules.Decide("m", definition, new QuotaEpoch(DateTimeOffset.MinValue, null, 0, limit), used, amount);
        Assert.Equal(allowed, view.Allowed);
        Assert.Equal(remaining, view.Remaining);
        Assert.Equal(overage, (int?)view.Overage);
        Assert.Equal(used, view.Used);
    }

    [Theory]
    [InlineData(10, "set", 100, 100)]
    [InlineData(10, "set", 0, 0)]
    [InlineData(10, "increment", 5, 15)]
    [InlineData(10, "decrement", 4, 6)]
    [InlineData(10, "decrement", 40, 0)]
    public void Credit_adjustments_change_the_remaining_balance(decimal remaining, string operation, decimal value, decimal expected)
    {
        var adjustment = operation switch
        {
            "set" => new CreditAdjustment(value, null, null),
            "increment" => new CreditAdjustment(null, value, null),
            _ => new CreditAdjustment(null, null, value),
        };
        Assert.Equal(expected, QuotaRules.Adjust(remaining, adjustment));
    }

    [Theory]
    [InlineData(Aggregation.Count, true)]
    [InlineData(Aggregation.Sum, true)]
    [InlineData(Aggregation.UniqueCount, false)]
    [InlineData(Aggregation.Max, false)]
    [InlineData(Aggregation.Min, false)]
    [InlineData(Aggregation.Latest, false)]
    public void Only_count_and_sum_quotas_can_be_consumed(Aggregation aggregation, bool consumable)
        => Assert.Equal(consumable, QuotaRules.CanConsume(aggregation));

    [Fact]
    public void A_quota_without_a_definition_has_no_epoch()
    {
        var thrown = Assert.Throws<InvalidOperationException>(() => QuotaRules.EpochAt(new QuotaState(), s_subscription, T("2026-11-21T10:00:00Z")));
        Assert.Equal("The quota is not configured.", thrown.Message);
    }
}
