using System.Collections.Concurrent;
using Metering.Grains.Audit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Metering.Silo.Listing;
using Npgsql;

namespace Metering.Silo.Audit;

/// <summary>The audit trail in PostgreSQL. Entries recorded from hot paths (quota denials) are queued and written in batches
/// by a background loop; a read first writes what is queued, so it sees every entry recorded before it.</summary>
public sealed class PostgresAuditLog(NpgsqlDataSource dataSource, ILogger<PostgresAuditLog> logger) : BackgroundService, IAuditLog
{
    private const int MaxBatch = 1000;

    private const string InsertSql = """
        INSERT INTO audit_events (tenant_id, at, action, actor, subject, details)
        SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
        """;

    // Newest first; a cursor is an entry's id (text that is not one matches nothing).
    private const string QuerySql = """
        SELECT at, action, actor, subject, details::text, id FROM audit_events
        WHERE tenant_id = $1 AND ($2::text IS NULL OR action = $2)
          AND ($3::text IS NULL OR id < (CASE WHEN $3 ~ '^[0-9]{1,18}$' THEN $3::bigint END))
        ORDER BY id DESC LIMIT $4
        """;

    private readonly ConcurrentQueue<AuditEntry> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly SemaphoreSlim _writing = new(1, 1);

    public void Record(AuditEntry entry)
    {
        _queue.Enqueue(entry);
        _signal.Release();
    }

    /// <summary>A page of a tenant's entries, newest first, optionally of one action.</summary>
    public async Task<Page<AuditEntry>> QueryAsync(string tenantId, string? action, PageRequest page, CancellationToken cancellationToken = default)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        return await Pages.ReadAsync(dataSource, QuerySql,
            [tenantId, new NpgsqlParameter { Value = (object?)action ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text }], page,
            reader => new AuditEntry(tenantId, reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4), reader.GetInt64(5)),
            e => e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes every queued entry.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!_queue.IsEmpty)
            {
                var batch = new List<AuditEntry>();
                while (batch.Count < MaxBatch && _queue.TryDequeue(out AuditEntry? entry))
                {
                    batch.Add(entry);
                }

                await using NpgsqlCommand command = dataSource.CreateCommand(InsertSql);
                AddEntries(command, batch);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(stoppingToken).ConfigureAwait(false);
                await FlushAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Audit entries could not be written; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void AddEntries(NpgsqlCommand command, IReadOnlyList<AuditEntry> entries)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.TenantId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.At.ToUniversalTime()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.Action).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.Actor).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.Subject).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.DetailsJson).ToArray() });
    }
}
