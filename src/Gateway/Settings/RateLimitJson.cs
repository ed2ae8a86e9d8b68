using Metering.Silo.ApiKeys;

namespace Metering.Gateway.Settings;

/// <summary>A tenant's rate limit per key; <see cref="Source"/> is <c>tenant</c> (its own) or <c>default</c> (configured).</summary>
public sealed record RateLimitJson(double RequestsPerSecond, int Burst, string Source)
{
    public static RateLimitJson Of(RateLimit? own, RateLimit fallback)
        => own is null ? new(fallback.RequestsPerSecond, fallback.Burst, "default") : new(own.RequestsPerSecond, own.Burst, "tenant");
}
