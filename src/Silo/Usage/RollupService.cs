using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Metering.Silo.Usage;

/// <summary>Runs the rollup job on an interval.</summary>
public sealed class RollupService(RollupJob rollups, RollupOptions options, ILogger<RollupService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                long rolled = await rollups.RollUpAsync(stoppingToken).ConfigureAwait(false);
                if (rolled > 0)
                {
                    logger.LogDebug("Rolled up {Count} events", rolled);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Rollup failed");
            }
        }
    }
}
