using Metering.Grains.Catalog;
using Metering.Grains.Pricing;

namespace Metering.UnitTests.Catalog;

/// <summary>The periods of a subscription that ends, its parts split by plan changes, and the fixed fee of each part.</summary>
public sealed class SubscriptionLifecycleTests
{
    private static readonly DateTimeOffset s_start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static Subscription Weekly(DateTimeOffset? end = null, params PlanChange[] changes)
        => new("s", "c", "basic", BillingInterval.Week, s_start, ["x"], s_start, end, 0, changes);

    [Fact]
    public void Periods_stop_at_the_end_and_the_last_is_cut_there_and_marked()
    {
        DateTimeOffset end = s_start.AddDays(10).AddHours(5).AddMinutes(30);
        BillingPeriod[] periods = [.. Weekly(end).PeriodsEndedBy(s_start.AddDays(60))];
        Assert.Equal([new BillingPeriod(s_start, s_start.AddDays(7)), new BillingPeriod(s_start.AddDays(7), end, Last: true)], periods);
        Assert.Equal(periods[1], Weekly(end).PeriodAt(s_start.AddDays(40)));
        Assert.Equal(periods[1], Weekly(end).PeriodAt(end.AddTicks(-1)));
        Assert.Equal(new BillingPeriod(s_start, s_start.AddDays(7)), Weekly(end).PeriodAt(s_start.AddDays(1)));
        // The hour holding the end belongs to the last period: no period follows it.
        Assert.Equal((s_start.AddDays(7), s_start.AddDays(10).AddHours(6)), periods[1].UsageHours);
        Assert.Single(Weekly(end).PeriodsEndedBy(end.AddTicks(-1)));
        Assert.True(Weekly(end).HasEndedBy(end));
        Assert.False(Weekly(end).HasEndedBy(end.AddTicks(-1)));
    }

    [Fact]
    public void An_end_on_a_period_boundary_gives_no_empty_period_and_an_end_at_the_start_none()
    {
        Assert.Equal([new BillingPeriod(s_start, s_start.AddDays(7), Last: true)], Weekly(s_start.AddDays(7)).PeriodsEndedBy(s_start.AddDays(30)));
        Assert.Empty(Weekly(s_start).PeriodsEndedBy(s_start.AddDays(30)));
        Assert.Equal(2, Weekly().PeriodsEndedBy(s_start.AddDays(14)).Count());
    }

    [Fact]
    public void A_period_splits_into_parts_at_each_plan_change_inside_it()
    {
        Subscription s = Weekly(s_start.AddDays(12), new PlanChange(s_start.AddDays(2), "pro"), new PlanChange(s_start.AddDays(9), "max"));
        Assert.Equal("basic", s.PlanAt(s_start.AddDays(2).AddTicks(-1)));
        Assert.Equal("pro", s.PlanAt(s_start.AddDays(2)));
        Assert.Equal("max", s.PlanAt(s_start.AddDays(30)));
        Assert.Equal(
            [(new BillingPeriod(s_start, s_start.AddDays(2)), new PlanRef("basic", 1)), (new BillingPeriod(s_start.AddDays(2), s_start.AddDays(7)), new PlanRef("pro", 1))],
            s.PartsOf(new BillingPeriod(s_start, s_start.AddDays(7))));
        Assert.Equal(
            [(new BillingPeriod(s_start.AddDays(7), s_start.AddDays(9)), new PlanRef("pro", 1)), (new BillingPeriod(s_start.AddDays(9), s_start.AddDays(12), Last: true), new PlanRef("max", 1))],
            s.PartsOf(new BillingPeriod(s_start.AddDays(7), s_start.AddDays(12), Last: true)));
        Assert.Equal([(new BillingPeriod(s_start, s_start.AddDays(7)), new PlanRef("basic", 1))], Weekly().PartsOf(new BillingPeriod(s_start, s_start.AddDays(7))));
    }

    [Fact]
    public void A_new_version_of_the_same_plan_splits_a_period_like_another_plan()
    {
        Subscription s = Weekly(null, new PlanChange(s_start.AddDays(7), "basic", 2), new PlanChange(s_start.AddDays(10), "basic", 3)) with { PlanVersion = 1 };
        Assert.Equal(new PlanRef("basic", 1), s.PlanRefAt(s_start.AddDays(7).AddTicks(-1)));
        Assert.Equal(new PlanRef("basic", 2), s.PlanRefAt(s_start.AddDays(7)));
        Assert.Equal("basic", s.PlanAt(s_start.AddDays(11)));
        Assert.Equal([(new BillingPeriod(s_start, s_start.AddDays(7)), new PlanRef("basic", 1))], s.PartsOf(new BillingPeriod(s_start, s_start.AddDays(7))));
        Assert.Equal(
            [(new BillingPeriod(s_start.AddDays(7), s_start.AddDays(10)), new PlanRef("basic", 2)), (new BillingPeriod(s_start.AddDays(10), s_start.AddDays(14)), new PlanRef("basic", 3))],
            s.PartsOf(new BillingPeriod(s_start.AddDays(7), s_start.AddDays(14))));
        Assert.Equal(new PlanRef("basic", 4), (Weekly() with { PlanVersion = 4 }).PlanRefAt(s_start));
    }

    [Theory]
    [InlineData(Proration.None, 0, 7, false, true, "70")]
    [InlineData(Proration.None, 0, 2.5, true, true, "70")]
    [InlineData(Proration.None, 2, 7, false, false, "0")]
    [InlineData(Proration.Daily, 0, 7, false, true, "70")]
    [InlineData(Proration.Daily, 0, 2.5, true, true, "30")]
    [InlineData(Proration.Daily, 0, 2.5, false, true, "25")]
    [InlineData(Proration.Daily, 2.5, 7, false, false, "45")]
    [InlineData(Proration.Daily, 6.5, 6.75, true, false, "10")]
    public void The_fixed_fee_of_a_part_follows_the_plans_proration(Proration proration, double fromDay, double toDay, bool last, bool first, string fee)
    {
        var full = new BillingPeriod(s_start, s_start.AddDays(7));
        var part = new BillingPeriod(s_start.AddDays(fromDay), s_start.AddDays(toDay), last);
        Assert.Equal(decimal.Parse(fee), Math.Round(FixedFee.For(70m, proration, part, full, first), 10));
    }
}
