using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Metering.Silo.ApiKeys;

/// <summary>Writes <c>last_used_at</c> of the keys this silo served, every <see cref="ApiKeyOptions.LastUsedFlushInterval"/>
/// (1 min) and at shutdown: one UPDATE for all of them, never a write on the request path. So a key's last use is at most
/// about a minute old in the list, and each silo writes each key at most once a minute.</summary>
public sealed class ApiKeyUsageWriter(ApiKeyAuthenticator authenticator, ApiKeyStore store, ApiKeyOptions options,
    [FromKeyedServices(AccessClock.Key)] TimeProvider clock, ILogger<ApiKeyUsageWriter> logger) : BackgroundService
{
    private readonly SemaphoreSlim _writing = new(1, 1);

    /// <summary>Writes every use recorded so far.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IReadOnlyList<(Guid KeyId, DateTimeOffset UsedAt)> uses = authenticator.TakeUses();
            try
            {
                await store.TouchAsync(uses, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                authenticator.ReturnUses(uses);
                throw;
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.LastUsedFlushInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await FlushAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Could not record when API keys were last used; retrying at the next interval");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not record when API keys were last used before stopping");
        }
    }
}
