using System.Collections.Concurrent;
using Metering.Silo.ApiKeys;

namespace Metering.Gateway.RateLimits;

/// <summary>
/// A token bucket per API key, with the key's tenant's own limit or the configured default. Buckets live in this silo: in a
/// cluster of N silos behind a load balancer a key gets up to N times its rate (a shared bucket would cost a database or
/// network round trip per request). Looking a bucket up takes no lock shared by all requests; each bucket locks only itself.
/// </summary>
public sealed class RateLimiter(RateLimitOptions options, RateLimitRejections rejections, [FromKeyedServices(AccessClock.Key)] TimeProvider clock)
{
    private readonly ConcurrentDictionary<Guid, TokenBucket> _buckets = new();
    private readonly RateLimit _default = options.Default;

    public RateLimit Default => _default;

    /// <summary>Takes one request from the key's bucket; a refusal is counted for the audit summary.</summary>
    public RateLimitDecision Acquire(ApiKeyGrant grant)
    {
        RateLimit limit = grant.RateLimit ?? _default;
        TokenBucket bucket = _buckets.GetOrAdd(grant.KeyId, static (_, state) => new TokenBucket(state.limit, state.clock), (limit, clock));
        RateLimitDecision decision = bucket.TryTake(limit);
        if (!decision.Allowed)
        {
            rejections.Record(grant, limit);
        }

        return decision;
    }
}
