using System.Text.Json;
using Metering.Grains.Catalog;
using Metering.Grains.Quotas;
using Npgsql;

namespace Metering.Silo.Quotas;

public sealed class PostgresQuotaStore(NpgsqlDataSource dataSource) : IQuotaStore
{
    private const string RegisterSql =
        "INSERT INTO quotas (tenant_id, subscription_id, meter_code) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

    private const string ListSql = "SELECT meter_code FROM quotas WHERE tenant_id = $1 AND subscription_id = $2";

    private const string LastSeqSql = "SELECT coalesce(max(seq), 0) FROM events WHERE tenant_id = $1 AND subscription_id = $2";

    // Appends of one subscription commit in sequence order, so every event up to the last sequence read is visible.
    private const string EventsSql = """
        SELECT seq, idempotency_key, ts, received_at, properties::text FROM events
        WHERE tenant_id = $1 AND subscription_id = $2 AND event_type = $3 AND received_at >= $4 AND received_at < $5
          AND seq > $6 AND seq <= $7
        ORDER BY seq
        """;

    public async Task RegisterAsync(string tenantId, string subscriptionId, string meterCode, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(RegisterSql);
        command.AddPositional(tenantId, subscriptionId, meterCode);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

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

    public async Task<long> LastSeqAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(LastSeqSql);
        command.AddPositional(tenantId, subscriptionId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<(IReadOnlyList<QuotaEvent> Events, long LastSeq)> LoadAsync(string tenantId, string subscriptionId, Meter meter, QuotaEpoch epoch, CancellationToken cancellationToken = default)
    {
        long lastSeq = await LastSeqAsync(tenantId, subscriptionId, cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = dataSource.CreateCommand(EventsSql);
        command.AddPositional(tenantId, subscriptionId, meter.EventType, epoch.Start.ToUniversalTime(), (epoch.End ?? DateTimeOffset.MaxValue).ToUniversalTime(), epoch.AfterSeq, lastSeq);
        var events = new List<QuotaEvent>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            using JsonDocument properties = JsonDocument.Parse(reader.GetString(4));
            events.Add(QuotaEvent.Read(meter, reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetFieldValue<DateTimeOffset>(3), properties.RootElement));
        }

        return (events, lastSeq);
    }
}
