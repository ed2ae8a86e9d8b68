using System.Text.Json;
using Metering.Grains.Catalog;
using Metering.Grains.Quotas;
using Metering.Silo.Listing;
using Npgsql;

namespace Metering.Silo.Quotas;

public sealed class PostgresQuotaStore(NpgsqlDataSource dataSource) : IQuotaStore
{
    private const string RegisterSql =
        "INSERT INTO quotas (tenant_id, subscription_id, meter_code) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

    internal const string MarkCheckedSql = """
        UPDATE quotas SET checked_seq = $4 WHERE tenant_id = $1 AND subscription_id = $2 AND meter_code = $3 AND checked_seq < $4
        """;

    private const string ListSql = "SELECT meter_code FROM quotas WHERE tenant_id = $1 AND subscription_id = $2";

    private const string PageSql = """
        SELECT subscription_id, meter_code, created_at FROM quotas
        WHERE tenant_id = $1 AND ($2::text IS NULL OR subscription_id = $2) AND ($3::text IS NULL OR subscription_id || '/' || meter_code > $3)
        ORDER BY subscription_id || '/' || meter_code LIMIT $4
        """;

    private const string LastSeqSql = "SELECT coalesce(max(seq), 0) FROM events WHERE tenant_id = $1 AND subscription_id = $2";

    // One statement, one snapshot: the subscription's last sequence and the epoch's events up to it. Appends of one
    // subscription commit in sequence order, so every event up to that sequence is visible. The first row always comes
    // (a LEFT JOIN from the one-row max), with nulls when the epoch has no events.
    private const string EventsSql = """
        WITH last AS (SELECT coalesce(max(seq), 0) AS seq FROM events WHERE tenant_id = $1 AND subscription_id = $2)
        SELECT last.seq, e.seq, e.idempotency_key, e.ts, e.received_at, e.properties::text
        FROM last LEFT JOIN events e
          ON e.tenant_id = $1 AND e.subscription_id = $2 AND e.event_type = $3 AND e.received_at >= $4 AND e.received_at < $5
         AND e.seq > $6 AND e.seq <= last.seq
        ORDER BY e.seq
        """;

    public async Task RegisterAsync(string tenantId, string subscriptionId, string meterCode, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(RegisterSql);
        command.AddPositional(tenantId, subscriptionId, meterCode);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The tenant's quotas (of one subscription when given) in (subscription, meter) order; a cursor is "subscription/meter".</summary>
    public Task<Page<QuotaEntry>> ListAsync(string tenantId, string? subscriptionId, PageRequest page, CancellationToken cancellationToken = default)
        => Pages.ReadAsync(dataSource, PageSql, [tenantId, new NpgsqlParameter { Value = (object?)subscriptionId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text }],
            page, reader => new QuotaEntry(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)), q => q.SubscriptionId + "/" + q.MeterCode, cancellationToken);

    public async Task<IReadOnlyList<string>> ListMetersAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(ListSql);
        command.AddPositional(tenantId, subscriptionId);
        var meters = new List<string>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            meters.Add(reader.GetString(0));
        }

        return meters;
    }

    public async Task MarkCheckedAsync(string tenantId, string subscriptionId, string meterCode, long seq, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(MarkCheckedSql);
        command.AddPositional(tenantId, subscriptionId, meterCode, seq);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> LastSeqAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(LastSeqSql);
        command.AddPositional(tenantId, subscriptionId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<(IReadOnlyList<QuotaEvent> Events, long LastSeq)> LoadAsync(string tenantId, string subscriptionId, Meter meter, QuotaEpoch epoch, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(EventsSql);
        command.AddPositional(tenantId, subscriptionId, meter.EventType, epoch.Start.ToUniversalTime(), (epoch.End ?? DateTimeOffset.MaxValue).ToUniversalTime(), epoch.AfterSeq);
        var events = new List<QuotaEvent>();
        long lastSeq = 0;
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            lastSeq = reader.GetInt64(0);
            if (reader.IsDBNull(1))
            {
                continue;
            }

            using JsonDocument properties = JsonDocument.Parse(reader.GetString(5));
            events.Add(QuotaEvent.Read(meter, reader.GetInt64(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetFieldValue<DateTimeOffset>(4), properties.RootElement));
        }

        return (events, lastSeq);
    }
}
