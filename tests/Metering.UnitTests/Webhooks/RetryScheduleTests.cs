using Metering.Grains.Webhooks;

namespace Metering.UnitTests.Webhooks;

public sealed class RetryScheduleTests
{
    [Fact]
    public void Delays_double_from_the_base_up_to_the_cap_and_stop_after_the_last_attempt()
    {
        var schedule = new RetrySchedule { MaxAttempts = 5, BaseDelay = TimeSpan.FromMinutes(1), MaxDelay = TimeSpan.FromMinutes(5), Jitter = 0 };
        Assert.Equal([1, 2, 4, 5], Enumerable.Range(1, 4).Select(f => schedule.DelayAfter(f, 0.9)!.Value.TotalMinutes));
        Assert.Null(schedule.DelayAfter(5, 0.5));
        Assert.Null(schedule.DelayAfter(6, 0.5));
        Assert.Equal(TimeSpan.FromMinutes(12), schedule.Span());
    }

    [Theory]
    [InlineData(0.0, 48)]
    [InlineData(0.5, 60)]
    [InlineData(0.99, 71.76)]
    public void Jitter_moves_a_delay_by_up_to_its_fraction_either_way(double unit, double seconds)
    {
        var schedule = new RetrySchedule { BaseDelay = TimeSpan.FromMinutes(1), Jitter = 0.2 };
        Assert.Equal(seconds, schedule.DelayAfter(1, unit)!.Value.TotalSeconds, 3);
    }

    [Fact]
    public void The_default_schedule_spreads_twelve_attempts_over_about_a_day()
    {
        var schedule = new RetrySchedule();
        Assert.Equal(12, schedule.MaxAttempts);
        Assert.InRange(schedule.Span(), TimeSpan.FromHours(20), TimeSpan.FromHours(30));
        Assert.Equal(TimeSpan.FromHours(6), schedule.DelayAfter(11, 0.5));
    }
}
