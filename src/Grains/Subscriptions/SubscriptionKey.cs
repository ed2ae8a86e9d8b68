using Metering.Runtime;

namespace Metering.Grains.Subscriptions;

public static class SubscriptionKey
{
    /// <summary>The grain key of a subscription: tenant and subscription id, which never hold '/' or '#'.</summary>
    public static string Of(string tenantId, string subscriptionId) => $"{tenantId}/{subscriptionId}";

    public static (string TenantId, string SubscriptionId) Parse(string key)
    {
        int slash = key.IndexOf('/', StringComparison.Ordinal);
        int hash = key.IndexOf('#', StringComparison.Ordinal);
        return (key[..slash], hash < 0 ? key[(slash + 1)..] : key[(slash + 1)..hash]);
    }
}
