using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Metering.Silo.Signing;

/// <summary>Deletes nonces whose events are past the accepted timestamp window, once an hour (every silo may; it is one
/// DELETE of expired rows).</summary>
public sealed class NoncePurgeService(SigningKeyStore store, TimeProvider time, ILogger<NoncePurgeService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await store.PurgeExpiredNoncesAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Expired signature nonces could not be purged; the next hour tries again");
            }
        }
    }
}
