using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Metering.Silo.Billing;

/// <summary>Runs jobs recorded in a table, one at a time, in the background. A job is queued once its row is written; at
/// start-up every job the table still holds as unfinished (a stop interrupted it) is queued again.</summary>
public abstract class QueuedJobService<TJob>(NpgsqlDataSource dataSource, ILogger logger) : BackgroundService
{
    private readonly Channel<TJob> _queue = Channel.CreateUnbounded<TJob>();

    protected NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>Selects the unfinished jobs, read by <see cref="ReadUnfinished"/>.</summary>
    protected abstract string UnfinishedSql { get; }

    protected abstract TJob ReadUnfinished(NpgsqlDataReader reader);

    protected abstract Task RunAsync(TJob job, CancellationToken ct);

    protected ValueTask EnqueueAsync(TJob job, CancellationToken ct) => _queue.Writer.WriteAsync(job, ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using (NpgsqlCommand unfinished = DataSource.CreateCommand(UnfinishedSql))
        {
            await using NpgsqlDataReader reader = await unfinished.ExecuteReaderAsync(stoppingToken).ConfigureAwait(false);
            while (await reader.ReadAsync(stoppingToken).ConfigureAwait(false))
            {
                await EnqueueAsync(ReadUnfinished(reader), stoppingToken).ConfigureAwait(false);
            }
        }

        await foreach (TJob job in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await RunAsync(job, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "{Service}: job {Job} failed", GetType().Name, job);
            }
        }
    }
}
