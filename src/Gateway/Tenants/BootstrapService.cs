using Metering.Silo.ApiKeys;
using Metering.Silo.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Tenants;

/// <summary>Creates the tenant <c>default</c> with METERING_BOOTSTRAP_API_KEY (every tenant scope) when no tenant has that key.</summary>
internal sealed class BootstrapService(CatalogStore catalog, ApiKeyStore keys, IConfiguration configuration, ILogger<BootstrapService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        string? key = configuration["METERING_BOOTSTRAP_API_KEY"];
        // A revoked bootstrap key stays revoked: it exists, so it is not made again.
        if (string.IsNullOrWhiteSpace(key) || await keys.FindAsync(ApiKeySecrets.Hash(key), cancellationToken) is not null)
        {
            return;
        }

        await catalog.CreateTenantWithKeyAsync("default", key, keyForExistingTenant: true, cancellationToken);
        logger.LogInformation("Created tenant 'default' with the bootstrap API key");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
