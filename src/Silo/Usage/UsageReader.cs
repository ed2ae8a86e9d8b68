using Metering.Grains.Catalog;
using Metering.Grains.Subscriptions;
using Metering.Grains.Usage;
using Metering.Runtime;

namespace Metering.Silo.Usage;

/// <summary>Reads usage from the subscription grain, or from the history when the grain does not hold the range.</summary>
public sealed class UsageReader(IGrainFactory grains, UsageHistory history)
{
    public async Task<UsageResult> ReadAsync(string tenant, string subscriptionId, Meter meter, UsageQuery query, CancellationToken ct)
    {
        UsageResult result = await grains.GetGrain<ISubscriptionGrain>(SubscriptionKey.Of(tenant, subscriptionId)).GetUsageAsync(query).ConfigureAwait(false);
        return result.Held ? result : await history.QueryAsync(tenant, subscriptionId, meter, query, ct).ConfigureAwait(false);
    }
}
