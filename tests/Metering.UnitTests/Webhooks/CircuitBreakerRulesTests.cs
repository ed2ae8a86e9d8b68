using Metering.Grains.Webhooks;

namespace Metering.UnitTests.Webhooks;

public sealed class CircuitBreakerRulesTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
    private static readonly BreakerSettings s_settings = new() { FailureThreshold = 3, CoolDown = TimeSpan.FromMinutes(1) };

    [Fact]
    public void A_closed_breaker_sends_and_opens_at_the_threshold_of_failures_in_a_row()
    {
        Breaker breaker = Breaker.Closed;
        for (int i = 1; i < s_settings.FailureThreshold; i++)
        {
            breaker = CircuitBreakerRules.AfterFailure(breaker, s_settings, s_t0);
            Assert.Equal((BreakerState.Closed, i), (breaker.State, breaker.ConsecutiveFailures));
            Assert.Equal(BreakerPermit.Send, CircuitBreakerRules.Permit(breaker, s_settings, s_t0));
        }

        breaker = CircuitBreakerRules.AfterFailure(breaker, s_settings, s_t0);
        Assert.Equal(new Breaker(BreakerState.Open, 3, s_t0), breaker);
    }

    [Fact]
    public void A_success_clears_the_failures_so_only_failures_in_a_row_open_it()
    {
        Breaker breaker = CircuitBreakerRules.AfterFailure(CircuitBreakerRules.AfterFailure(Breaker.Closed, s_settings, s_t0), s_settings, s_t0);
        breaker = CircuitBreakerRules.AfterSuccess(breaker, s_t0);
        Assert.Equal(new Breaker(BreakerState.Closed, 0, s_t0), breaker);
        Assert.Same(breaker, CircuitBreakerRules.AfterSuccess(breaker, s_t0.AddHours(1)));
        Assert.Equal(BreakerState.Closed, CircuitBreakerRules.AfterFailure(breaker, s_settings, s_t0).State);
    }

    [Fact]
    public void An_open_breaker_waits_out_its_cool_down_then_lets_one_probe_through()
    {
        var open = new Breaker(BreakerState.Open, 3, s_t0);
        Assert.Equal(BreakerPermit.Wait, CircuitBreakerRules.Permit(open, s_settings, s_t0.AddSeconds(59)));
        Assert.Equal(BreakerPermit.Probe, CircuitBreakerRules.Permit(open, s_settings, s_t0.AddSeconds(60)));
        Breaker probing = CircuitBreakerRules.StartProbe(open, s_t0.AddSeconds(60));
        Assert.Equal(new Breaker(BreakerState.HalfOpen, 3, s_t0.AddSeconds(60)), probing);
        Assert.Equal(BreakerPermit.Wait, CircuitBreakerRules.Permit(probing, s_settings, s_t0.AddSeconds(61)));
        // A probe not answered for a whole cool-down (its silo died) is replaced by another.
        Assert.Equal(BreakerPermit.Probe, CircuitBreakerRules.Permit(probing, s_settings, s_t0.AddSeconds(120)));
        Assert.Equal(BreakerPermit.Probe, CircuitBreakerRules.Permit(new Breaker(BreakerState.Open, 3, null), s_settings, s_t0));
    }

    [Fact]
    public void A_probe_closes_the_breaker_on_success_and_opens_it_for_a_new_cool_down_on_failure()
    {
        var probing = new Breaker(BreakerState.HalfOpen, 3, s_t0);
        Assert.Equal(new Breaker(BreakerState.Closed, 0, s_t0.AddSeconds(1)), CircuitBreakerRules.AfterSuccess(probing, s_t0.AddSeconds(1)));
        Breaker reopened = CircuitBreakerRules.AfterFailure(probing, s_settings, s_t0.AddSeconds(2));
        Assert.Equal(new Breaker(BreakerState.Open, 4, s_t0.AddSeconds(2)), reopened);
        Assert.Equal(BreakerPermit.Wait, CircuitBreakerRules.Permit(reopened, s_settings, s_t0.AddSeconds(61)));
    }

    [Fact]
    public void A_failure_reported_while_open_counts_without_restarting_the_cool_down()
    {
        var open = new Breaker(BreakerState.Open, 3, s_t0);
        Assert.Equal(new Breaker(BreakerState.Open, 4, s_t0), CircuitBreakerRules.AfterFailure(open, s_settings, s_t0.AddSeconds(30)));
    }
}
