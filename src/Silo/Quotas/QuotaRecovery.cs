using Metering.Grains.Quotas;
using Metering.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Metering.Silo.Quotas;

/// <summary>
/// Recovers the threshold notifications a crash cut off. A quota counts its events after they commit and records its
/// crossings with its checkpoint (<c>quotas.checked_seq</c>); a silo that dies in between leaves events past the checkpoint.
/// So whenever this silo claims a partition (at start, at a failover, at a rebalance) it activates every quota of that
/// partition with events past its checkpoint: the activation recounts its window from the event log and records what is
/// due, once per window (the outbox key), then moves the checkpoint.
/// </summary>
public sealed class QuotaRecovery(NpgsqlDataSource dataSource, PartitionTable partitions, IGrainFactory grains, ILogger<QuotaRecovery> logger) : BackgroundService
{
    /// <summary>How often the owned partitions are looked at for new claims.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private const string BehindSql = """
        SELECT q.tenant_id, q.subscription_id, q.meter_code FROM quotas q
        WHERE EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = q.tenant_id AND e.subscription_id = q.subscription_id AND e.seq > q.checked_seq)
        """;

    private readonly HashSet<(int Partition, long Epoch)> _recovered = [];

    /// <summary>Activates the quotas behind their checkpoint on partitions claimed since the last call; returns how many.</summary>
    public async Task<int> RecoverAsync(CancellationToken ct)
    {
        List<(int Partition, long Epoch)> claimed = [.. partitions.Owned.Where(p => partitions.IsOwned(p.Partition) && !_recovered.Contains(p))];
        if (claimed.Count == 0)
        {
            return 0;
        }

        HashSet<int> fresh = [.. claimed.Select(c => c.Partition)];
        int activated = 0;
        foreach (string key in await BehindAsync(ct).ConfigureAwait(false))
        {
            if (fresh.Contains(partitions.PartitionOf(key[..key.IndexOf('#', StringComparison.Ordinal)])))
            {
                await grains.GetGrain<IQuotaGrain>(key).CheckAsync(0).ConfigureAwait(false);
                activated++;
            }
        }

        _recovered.UnionWith(claimed);
        return activated;
    }

    private async Task<List<string>> BehindAsync(CancellationToken ct)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(BehindSql);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var keys = new List<string>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            keys.Add(QuotaKey.Of(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return keys;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    if (await RecoverAsync(stoppingToken).ConfigureAwait(false) is > 0 and int activated)
                    {
                        logger.LogInformation("Activated {Quotas} quotas behind their notification checkpoint on newly claimed partitions", activated);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Quota recovery failed; tried again in {Interval}", Interval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
