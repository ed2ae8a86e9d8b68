using Metering.Gateway.RateLimits;
using Metering.Silo.ApiKeys;
using Metering.Testing;

namespace Metering.UnitTests.RateLimits;

public sealed class TokenBucketTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_full_bucket_allows_the_burst_then_refuses_with_the_time_until_a_token_is_back()
    {
        var limit = new RateLimit(2, 5);
        var bucket = new TokenBucket(limit, _clock);

        RateLimitDecision[] burst = Enumerable.Range(0, 5).Select(_ => bucket.TryTake(limit)).ToArray();
        Assert.All(burst, d => Assert.True(d.Allowed));
        Assert.Equal([4, 3, 2, 1, 0], burst.Select(d => d.Remaining));

        RateLimitDecision refused = bucket.TryTake(limit);
        Assert.False(refused.Allowed);
        Assert.Equal(5, refused.Limit);
        Assert.Equal(0, refused.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(0.5), refused.RetryAfter);
        Assert.Equal(1, refused.RetryAfterSeconds);
        Assert.Equal(TimeSpan.FromSeconds(2.5), refused.ResetAfter);
        Assert.Equal(3, refused.ResetSeconds);
    }

    [Fact]
    public void Tokens_come_back_at_the_rate_as_the_clock_moves()
    {
        var limit = new RateLimit(2, 5);
        var bucket = new TokenBucket(limit, _clock);
        Drain(bucket, limit);

        _clock.Advance(TimeSpan.FromSeconds(0.4));
        Assert.False(bucket.TryTake(limit).Allowed);
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(bucket.TryTake(limit).Allowed);
        Assert.False(bucket.TryTake(limit).Allowed);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(bucket.TryTake(limit).Allowed);
        Assert.True(bucket.TryTake(limit).Allowed);
        Assert.False(bucket.TryTake(limit).Allowed);
    }

    [Fact]
    public void A_long_pause_refills_no_more_than_the_burst()
    {
        var limit = new RateLimit(100, 3);
        var bucket = new TokenBucket(limit, _clock);
        Drain(bucket, limit);
        _clock.Advance(TimeSpan.FromHours(1));

        Assert.Equal(3, Drain(bucket, limit));
    }

    [Fact]
    public void A_slow_rate_asks_to_wait_whole_seconds_rounded_up()
    {
        var limit = new RateLimit(0.25, 1);
        var bucket = new TokenBucket(limit, _clock);
        Assert.True(bucket.TryTake(limit).Allowed);
        _clock.Advance(TimeSpan.FromSeconds(1.5));

        RateLimitDecision refused = bucket.TryTake(limit);
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(2.5), refused.RetryAfter);
        Assert.Equal(3, refused.RetryAfterSeconds);
        Assert.Equal(3, refused.ResetSeconds);
    }

    [Fact]
    public void A_lower_limit_caps_the_tokens_held_and_a_higher_one_refills_at_its_rate()
    {
        var generous = new RateLimit(1, 100);
        var strict = new RateLimit(1, 2);
        var bucket = new TokenBucket(generous, _clock);

        Assert.Equal(2, Drain(bucket, strict));

        RateLimitDecision raised = bucket.TryTake(generous);
        Assert.False(raised.Allowed);
        Assert.Equal(100, raised.Limit);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(10, Drain(bucket, generous));
    }

    [Fact]
    public void Requests_racing_on_one_bucket_take_exactly_its_tokens()
    {
        var limit = new RateLimit(1, 1000);
        var bucket = new TokenBucket(limit, _clock);
        int allowed = 0;

        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            if (bucket.TryTake(limit).Allowed)
            {
                Interlocked.Increment(ref allowed);
            }
        });

        Assert.Equal(1000, allowed);
    }

    [Fact]
    public void Retry_after_is_at_least_one_second()
    {
        var decision = new RateLimitDecision(false, 10, 0, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, decision.RetryAfterSeconds);
        Assert.Equal(1, decision.ResetSeconds);
        Assert.Equal(0, (decision with { ResetAfter = TimeSpan.Zero }).ResetSeconds);
    }

    private static int Drain(TokenBucket bucket, RateLimit limit)
    {
        int taken = 0;
        while (bucket.TryTake(limit).Allowed)
        {
            taken++;
        }

        return taken;
    }
}
