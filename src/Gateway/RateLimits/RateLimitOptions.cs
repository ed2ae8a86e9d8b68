using Metering.Silo.ApiKeys;

namespace Metering.Gateway.RateLimits;

/// <summary>Configuration section <c>RateLimits</c>: the rate limit of every key whose tenant has not set its own.</summary>
public sealed class RateLimitOptions
{
    /// <summary>10,000 a second and a burst of 20,000 per key and silo: above every load test in loadtests/README.md (6,000
    /// checks a second on one key at most), so only a runaway client meets it.</summary>
    public double RequestsPerSecond { get; set; } = 10_000;

    public int Burst { get; set; } = 20_000;

    public RateLimit Default
    {
        get
        {
            if (RequestsPerSecond is not (> 0 and <= RateLimit.MaxRequestsPerSecond) || Burst is < 1 or > RateLimit.MaxBurst)
            {
                throw new InvalidOperationException($"RateLimits: RequestsPerSecond must be above 0 and at most {RateLimit.MaxRequestsPerSecond}, Burst 1 to {RateLimit.MaxBurst}.");
            }

            return new RateLimit(RequestsPerSecond, Burst);
        }
    }
}
