using Metering.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Metering.Silo.Hosting;

/// <summary>Applies migrations at start; the host does not start further until they are in.</summary>
internal sealed class MigrationService(NpgsqlDataSource dataSource, ILogger<MigrationService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        int applied = await Migrator.ApplyAsync(dataSource, logger, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Database schema is current ({Applied} migrations applied now)", applied);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
