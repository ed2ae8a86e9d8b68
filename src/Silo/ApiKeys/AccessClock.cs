namespace Metering.Silo.ApiKeys;

/// <summary>The key of the keyed <see cref="TimeProvider"/> that API access runs on: key expiry and timestamps, the key
/// cache's age, rate-limit buckets. It is the application's clock unless a host registers another under this key, which is
/// how tests drive expiry, cache refresh and token refill without sleeping while the silo's leases run on real time.</summary>
public static class AccessClock
{
    public const string Key = "api-access";
}
