using System.Text.Json;
using Metering.Grains;
using Metering.Grains.Audit;
using Metering.Grains.Pricing;
using Microsoft.Extensions.Logging;
using Metering.Grains.Webhooks;
using Metering.Runtime;
using Metering.Silo.Listing;
using Metering.Silo.Webhooks;
using Npgsql;

namespace Metering.Silo.Billing;

/// <summary>Re-rating jobs: recompute invoices of some customers over a time range with the prices now in force. A job locks
/// its scope: an overlapping job (a shared customer and overlapping range) is refused while one is pending or running.</summary>
public sealed class ReratingService(NpgsqlDataSource dataSource, BillingStore store, InvoiceService invoices, IAuditLog audit, ReratingOptions options, WebhookOutbox outbox, Runtime.Silo silo, TimeProvider time, ILogger<ReratingService> logger)
    : QueuedJobService<(string Tenant, Guid Id)>(dataSource, silo, logger)
{
    private const string LockSql = "SELECT pg_advisory_xact_lock(7264, hashtext($1))";
    private const string OverlapSql = """
        SELECT id FROM rerating_jobs WHERE tenant_id = $1 AND status IN ('pending', 'running')
          AND customer_ids && $2 AND range_from < $4 AND range_to > $3 LIMIT 1
        """;
    private const string InsertSql = "INSERT INTO rerating_jobs (id, tenant_id, customer_ids, range_from, range_to, status, created_at, runner) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)";
    private const string JobColumns = "id, customer_ids, range_from, range_to, status, recomputed, adjustments, error, created_at, completed_at";
    private const string SelectSql = "SELECT " + JobColumns + " FROM rerating_jobs WHERE tenant_id = $1 AND id = $2";
    private const string ListSql = "SELECT " + JobColumns + """
         FROM rerating_jobs
        WHERE tenant_id = $1 AND ($2::text IS NULL OR (created_at, id) > (SELECT created_at, id FROM rerating_jobs WHERE tenant_id = $1 AND id::text = $2))
        ORDER BY created_at, id LIMIT $3
        """;
    private const string StatusSql = "UPDATE rerating_jobs SET status = $3, recomputed = $4, adjustments = $5, error = $6, completed_at = $7 WHERE tenant_id = $1 AND id = $2 RETURNING " + JobColumns;
    private const string RecentSql = "SELECT " + JobColumns + ", tenant_id FROM rerating_jobs WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY created_at DESC LIMIT $2";

    protected override string ClaimOrphansSql => "UPDATE rerating_jobs SET runner = $1 WHERE status IN ('pending', 'running') AND " + Orphaned + " RETURNING tenant_id, id";

    /// <summary>Creates a pending job, or returns the id of the overlapping job that prevents it.</summary>
    public async Task<(ReratingJob? Job, Guid? Conflict)> StartAsync(string tenant, IReadOnlyList<string> customerIds, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default)
    {
        await using NpgsqlConnection connection = await DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand(LockSql, connection, transaction))
        {
            lockCommand.AddPositional(tenant);
            await lockCommand.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using (var overlap = new NpgsqlCommand(OverlapSql, connection, transaction))
        {
            overlap.AddPositional(tenant, customerIds.ToArray(), from, to);
            if (await overlap.ExecuteScalarAsync(ct).ConfigureAwait(false) is Guid existing)
            {
                return (null, existing);
            }
        }

        var job = new ReratingJob(Guid.NewGuid(), customerIds, from, to, JobStatus.Pending, 0, 0, null, time.GetUtcNow(), null);
        await using (var insert = new NpgsqlCommand(InsertSql, connection, transaction))
        {
            insert.AddPositional(job.Id, tenant, customerIds.ToArray(), from, to, job.CreatedAt, SiloId);
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
        audit.Record(new AuditEntry(tenant, job.CreatedAt, "rerating.started", "api", null,
            JsonSerializer.Serialize(new { job_id = job.Id, customer_ids = customerIds, from, to })));
        await EnqueueAsync((tenant, job.Id), ct).ConfigureAwait(false);
        return (job, null);
    }

    public async Task<ReratingJob?> GetAsync(string tenant, Guid id, CancellationToken ct = default)
    {
        await using NpgsqlCommand command = DataSource.CreateCommand(SelectSql);
        command.AddPositional(tenant, id);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadJob(reader) : null;
    }

    /// <summary>A tenant's re-rating jobs in the order they were started.</summary>
    public Task<Page<ReratingJob>> ListAsync(string tenant, PageRequest page, CancellationToken ct = default)
        => Pages.ReadAsync(DataSource, ListSql, [tenant], page, ReadJob, j => j.Id.ToString(), ct);

    /// <summary>The latest jobs, newest first, of one tenant or (<paramref name="tenant"/> null) of all: the dashboard's view.</summary>
    public async Task<IReadOnlyList<(string Tenant, ReratingJob Job)>> RecentAsync(string? tenant, int limit, CancellationToken ct = default)
    {
        await using NpgsqlCommand command = DataSource.CreateCommand(RecentSql);
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = tenant, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var jobs = new List<(string, ReratingJob)>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            jobs.Add((reader.GetString(10), ReadJob(reader)));
        }

        return jobs;
    }

    private static ReratingJob ReadJob(NpgsqlDataReader reader)
        => new(reader.GetGuid(0), reader.GetFieldValue<string[]>(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3),
            WireName.ParseWire<JobStatus>(reader.GetString(4)), reader.GetInt32(5), reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetFieldValue<DateTimeOffset>(8),
            reader.GetFieldValue<DateTimeOffset?>(9));

    protected override (string Tenant, Guid Id) ReadUnfinished(NpgsqlDataReader reader) => (reader.GetString(0), reader.GetGuid(1));

    protected override async Task RunAsync((string Tenant, Guid Id) queued, CancellationToken ct)
    {
        (string tenant, Guid id) = queued;
        if (options.StartDelay > TimeSpan.Zero)
        {
            await Task.Delay(options.StartDelay, time, ct).ConfigureAwait(false);
        }

        ReratingJob? job = await GetAsync(tenant, id, ct).ConfigureAwait(false);
        if (job is null || job.Status is JobStatus.Completed or JobStatus.Failed)
        {
            return;
        }

        await SetStatusAsync(tenant, id, JobStatus.Running, 0, 0, null, ct).ConfigureAwait(false);
        int recomputed = 0, adjustments = 0;
        try
        {
            foreach (Invoice invoice in await store.InvoicesInScopeAsync(tenant, job.CustomerIds, job.From, job.To, ct).ConfigureAwait(false))
            {
                if (invoice.Status == InvoiceStatus.Draft)
                {
                    recomputed += (await invoices.RecomputeAsync(tenant, invoice, InvoiceStatus.Draft, ct).ConfigureAwait(false)).Invoice is null ? 0 : 1;
                }
                else if (await invoices.AdjustAsync(tenant, invoice, ct).ConfigureAwait(false) is not null)
                {
                    adjustments++;
                }
            }

            await SetStatusAsync(tenant, id, JobStatus.Completed, recomputed, adjustments, null, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            logger.LogError(ex, "Re-rating job {Job} failed", id);
            await SetStatusAsync(tenant, id, JobStatus.Failed, recomputed, adjustments, ex.Message, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the job's status; its completion with the <c>rerating.completed</c> notification, in one transaction.</summary>
    private async Task SetStatusAsync(string tenant, Guid id, JobStatus status, int recomputed, int adjustments, string? error, CancellationToken ct)
    {
        await using NpgsqlConnection connection = await DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(StatusSql, connection, transaction);
        command.AddPositional(tenant, id, status.ToWire(), recomputed, adjustments, (object?)error ?? DBNull.Value,
            status is JobStatus.Completed or JobStatus.Failed ? time.GetUtcNow() : DBNull.Value);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        ReratingJob? job = await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadJob(reader) : null;
        await reader.DisposeAsync().ConfigureAwait(false);
        if (status == JobStatus.Completed && job is not null)
        {
            await outbox.WriteAsync(connection, transaction, outbox.ForTenant(tenant, NotificationType.ReratingCompleted, outbox.Resources.Rerating(job)), ct).ConfigureAwait(false);
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }
}
