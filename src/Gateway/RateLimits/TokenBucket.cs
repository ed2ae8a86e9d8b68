using Metering.Silo.ApiKeys;

namespace Metering.Gateway.RateLimits;

/// <summary>
/// A token bucket: it holds up to <see cref="RateLimit.Burst"/> tokens, gains <see cref="RateLimit.RequestsPerSecond"/> a
/// second, and a request takes one. Time comes from the monotonic timestamps of <see cref="TimeProvider"/>, so a change of
/// the wall clock neither mints nor eats tokens, and tests drive it with a fake clock. Each bucket has its own lock, held for
/// a few arithmetic operations: requests of different keys never wait on each other.
/// </summary>
public sealed class TokenBucket
{
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private RateLimit _limit;
    private double _tokens;
    private long _refilledAt;

    /// <summary>A full bucket.</summary>
    public TokenBucket(RateLimit limit, TimeProvider clock)
    {
        _clock = clock;
        _limit = limit;
        _tokens = limit.Burst;
        _refilledAt = clock.GetTimestamp();
    }

    /// <summary>Takes a token if there is one. <paramref name="limit"/> is the key's limit now: when it changed (its tenant
    /// set another), the time since the last request refills at the old rate and the new burst caps what is held.</summary>
    public RateLimitDecision TryTake(RateLimit limit)
    {
        lock (_gate)
        {
            long now = _clock.GetTimestamp();
            double elapsed = Math.Max(0, _clock.GetElapsedTime(_refilledAt, now).TotalSeconds);
            _refilledAt = now;
            _tokens = Math.Min(limit.Burst, _tokens + (elapsed * _limit.RequestsPerSecond));
            _limit = limit;
            bool allowed = _tokens >= 1;
            if (allowed)
            {
                _tokens -= 1;
            }

            return new RateLimitDecision(allowed, limit.Burst, (int)Math.Floor(_tokens),
                Seconds((limit.Burst - _tokens) / limit.RequestsPerSecond),
                allowed ? TimeSpan.Zero : Seconds((1 - _tokens) / limit.RequestsPerSecond));
        }
    }

    private static TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.MaxValue.TotalSeconds / 2));
}
