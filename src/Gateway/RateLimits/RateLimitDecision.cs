namespace Metering.Gateway.RateLimits;

/// <summary>One request's answer from a token bucket. <see cref="Limit"/> is the burst, <see cref="Remaining"/> the whole
/// tokens left after this request, <see cref="ResetAfter"/> the time until the bucket is full again, and
/// <see cref="RetryAfter"/> (refused requests only) the time until one token is back.</summary>
public readonly record struct RateLimitDecision(bool Allowed, int Limit, int Remaining, TimeSpan ResetAfter, TimeSpan RetryAfter)
{
    /// <summary>x-ratelimit-reset: whole seconds, rounded up, so waiting that long always finds the bucket full.</summary>
    public int ResetSeconds => CeilingSeconds(ResetAfter);

    /// <summary>Retry-After: whole seconds, rounded up and at least 1, so a client that waits that long gets a token.</summary>
    public int RetryAfterSeconds => Math.Max(1, CeilingSeconds(RetryAfter));

    private static int CeilingSeconds(TimeSpan span) => (int)Math.Min(int.MaxValue, Math.Ceiling(Math.Max(0, span.TotalSeconds)));
}
