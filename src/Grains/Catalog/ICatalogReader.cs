namespace Metering.Grains.Catalog;

/// <summary>What grains read of the catalog. Implementations cache; a tenant's meters are re-read when they change.</summary>
public interface ICatalogReader
{
    ValueTask<TenantMeters> GetMetersAsync(string tenantId, CancellationToken cancellationToken = default);

    ValueTask<Subscription?> GetSubscriptionAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default);
}
