using Metering.Grains.Catalog;
using Metering.Runtime;

namespace Metering.Grains.Quotas;

public static class QuotaKey
{
    /// <summary>The grain key of a quota: the subscription's key (hence its partition), '#', the meter code.</summary>
    public static string Of(string tenantId, string subscriptionId, string meterCode) => $"{tenantId}/{subscriptionId}#{meterCode}";

    public static (string TenantId, string SubscriptionId, string Meter) Parse(string key)
    {
        int slash = key.IndexOf('/', StringComparison.Ordinal);
        int hash = key.IndexOf('#', StringComparison.Ordinal);
        return (key[..slash], key[(slash + 1)..hash], key[(hash + 1)..]);
    }
}
