using System.Threading.Channels;
using Metering.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Metering.Silo.Billing;

/// <summary>Runs jobs recorded in a table, one at a time, in the background, on the silo named as the job's runner. A job is
/// queued once its row is written. A job whose runner is dead (a stop or a crash interrupted it, here or on another silo) is
/// claimed by a live silo and run again: at start-up, and every <see cref="OrphanScanInterval"/> after.</summary>
public abstract class QueuedJobService<TJob>(NpgsqlDataSource dataSource, Runtime.Silo silo, ILogger logger) : BackgroundService
{
    /// <summary>How often unfinished jobs of dead silos are looked for.</summary>
    public static readonly TimeSpan OrphanScanInterval = TimeSpan.FromSeconds(5);

    /// <summary>The condition, on a job table's <c>runner</c> column, that no live silo runs the job.</summary>
    protected const string Orphaned = "(runner IS NULL OR NOT EXISTS (SELECT 1 FROM silos s WHERE s.id = runner AND s.status <> 'dead'))";

    private readonly Channel<TJob> _queue = Channel.CreateUnbounded<TJob>();

    protected NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>This silo's id, written as the runner of the jobs it starts.</summary>
    protected string SiloId => silo.Options.SiloId;

    /// <summary>Sets <c>runner = $1</c> on the unfinished jobs that are <see cref="Orphaned"/>, returning them for
    /// <see cref="ReadUnfinished"/>.</summary>
    protected abstract string ClaimOrphansSql { get; }

    protected abstract TJob ReadUnfinished(NpgsqlDataReader reader);

    protected abstract Task RunAsync(TJob job, CancellationToken ct);

    protected ValueTask EnqueueAsync(TJob job, CancellationToken ct) => _queue.Writer.WriteAsync(job, ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Task scanner = ScanForOrphansAsync(stoppingToken);
        await foreach (TJob job in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            // A job ends with this silo's incarnation too: once the silo was declared dead, another may have taken it over.
            using var run = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, silo.Incarnation);
            try
            {
                await RunAsync(job, run.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (run.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("{Service}: job {Job} stopped: this silo was declared dead, and a live one takes the job over", GetType().Name, job);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "{Service}: job {Job} failed", GetType().Name, job);
            }
        }

        await scanner.ConfigureAwait(false);
    }

    private async Task ScanForOrphansAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(OrphanScanInterval);
        do
        {
            try
            {
                await using NpgsqlCommand claim = DataSource.CreateCommand(ClaimOrphansSql);
                claim.AddPositional(SiloId);
                await using NpgsqlDataReader reader = await claim.ExecuteReaderAsync(stoppingToken).ConfigureAwait(false);
                while (await reader.ReadAsync(stoppingToken).ConfigureAwait(false))
                {
                    await EnqueueAsync(ReadUnfinished(reader), stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "{Service}: looking for interrupted jobs failed", GetType().Name);
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
