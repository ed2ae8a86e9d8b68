using Metering.Gateway.Infrastructure;
using Metering.Silo.ApiKeys;

namespace Metering.Gateway.Settings;

/// <summary><c>PUT /v1/settings/rate-limit</c>: <c>{"requests_per_second":N,"burst":M}</c>, for each key of the tenant.</summary>
public sealed record SetRateLimitRequest(RateLimit Limit) : IJsonRequest<SetRateLimitRequest>
{
    public static SetRateLimitRequest? Read(JsonBody body, HttpContext http)
    {
        decimal? perSecond = body.Decimal("requests_per_second", required: true);
        decimal? burst = body.Decimal("burst", required: true);
        if (perSecond is not null and (<= 0 or > (decimal)RateLimit.MaxRequestsPerSecond))
        {
            body.Fail("requests_per_second", $"'requests_per_second' must be above 0 and at most {RateLimit.MaxRequestsPerSecond}.");
        }

        if (burst is not null && (burst is < 1 or > RateLimit.MaxBurst || burst != decimal.Truncate(burst.Value)))
        {
            body.Fail("burst", $"'burst' must be a whole number from 1 to {RateLimit.MaxBurst}.");
        }

        return body.HasErrors ? null : new SetRateLimitRequest(new RateLimit((double)perSecond!.Value, (int)burst!.Value));
    }
}
