namespace Metering.Silo.ApiKeys;

/// <summary>A token bucket's parameters: <see cref="RequestsPerSecond"/> refill, at most <see cref="Burst"/> requests at once.</summary>
public sealed record RateLimit(double RequestsPerSecond, int Burst)
{
    public const double MaxRequestsPerSecond = 1_000_000;
    public const int MaxBurst = 10_000_000;
}
