using System.Text.Json;
using Metering.Grains.Catalog;
using Metering.Grains.Usage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Metering.Silo.Usage;

/// <summary>Usage beyond what a subscription grain holds: hourly rollups in PostgreSQL plus the events not yet rolled up.
/// Rollups advance per (tenant, meter) through events below a horizon under which every event is committed, so the
/// union "rollups + events after the progress mark" is always exact.</summary>
public sealed class UsageHistory(NpgsqlDataSource dataSource, ICatalogReader catalog)
{
    private const string HorizonLockSql = "SELECT pg_advisory_xact_lock(7263)";
    private const string HorizonSql = "SELECT coalesce(max(seq), 0) FROM events";
    private const string MetersSql = "SELECT m.tenant_id, m.code, coalesce(p.last_seq, 0) FROM meters m LEFT JOIN rollup_progress p ON p.tenant_id = m.tenant_id AND p.meter_code = m.code";
    private const string EventsSql = """
        SELECT seq, subscription_id, ts, properties::text FROM events
        WHERE tenant_id = $1 AND event_type = $2 AND seq > $3 AND seq <= $4 ORDER BY seq LIMIT $5
        """;
    // A sum stops at decimal's bounds, as the grains' sums do (Saturating): beyond them it could not be read back.
    private const string UpsertSql = """
        INSERT INTO usage_rollups AS r (tenant_id, subscription_id, meter_code, hour, group_key, count, sum, min, max, latest, latest_at, latest_seq, uniques)
        SELECT $1, t.subscription_id, $2, t.hour, t.group_key, t.count, t.sum, t.min, t.max, t.latest, t.latest_at, t.latest_seq,
               CASE WHEN t.uniques IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(t.uniques::jsonb)) END
        FROM unnest($3::text[], $4::timestamptz[], $5::text[], $6::bigint[], $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::timestamptz[], $12::bigint[], $13::text[])
          AS t(subscription_id, hour, group_key, count, sum, min, max, latest, latest_at, latest_seq, uniques)
        ON CONFLICT (tenant_id, subscription_id, meter_code, hour, group_key) DO UPDATE SET
          count = r.count + excluded.count,
          sum = least(greatest(r.sum + excluded.sum, -79228162514264337593543950335), 79228162514264337593543950335),
          min = least(r.min, excluded.min),
          max = greatest(r.max, excluded.max),
          latest = CASE WHEN r.latest IS NULL OR (excluded.latest IS NOT NULL AND (excluded.latest_at, excluded.latest_seq) > (r.latest_at, r.latest_seq)) THEN excluded.latest ELSE r.latest END,
          latest_at = CASE WHEN r.latest IS NULL OR (excluded.latest IS NOT NULL AND (excluded.latest_at, excluded.latest_seq) > (r.latest_at, r.latest_seq)) THEN excluded.latest_at ELSE r.latest_at END,
          latest_seq = CASE WHEN r.latest IS NULL OR (excluded.latest IS NOT NULL AND (excluded.latest_at, excluded.latest_seq) > (r.latest_at, r.latest_seq)) THEN excluded.latest_seq ELSE r.latest_seq END,
          uniques = CASE WHEN excluded.uniques IS NULL THEN r.uniques ELSE ARRAY(SELECT DISTINCT u FROM unnest(coalesce(r.uniques, '{}') || excluded.uniques) u) END
        """;
    private const string ProgressSql = """
        INSERT INTO rollup_progress AS p (tenant_id, meter_code, last_seq) VALUES ($1, $2, $4)
        ON CONFLICT (tenant_id, meter_code) DO UPDATE SET last_seq = excluded.last_seq WHERE p.last_seq = $3
        """;
    private const string ProgressOfSql = "SELECT coalesce((SELECT last_seq FROM rollup_progress WHERE tenant_id = $1 AND meter_code = $2), 0)";
    private const string RollupsSql = """
        SELECT hour, group_key, count, sum, min, max, latest, latest_at, latest_seq, uniques FROM usage_rollups
        WHERE tenant_id = $1 AND subscription_id = $2 AND meter_code = $3 AND hour >= $4 AND hour < $5
        """;
    private const string RecentSql = """
        SELECT seq, subscription_id, ts, properties::text FROM events
        WHERE tenant_id = $1 AND event_type = $2 AND subscription_id = $3 AND seq > $4 AND ts >= $5 AND ts < $6
        """;

    public int ChunkSize { get; set; } = 20000;

    /// <summary>Rolls every meter forward to the current horizon. Returns the number of events rolled up.</summary>
    public async Task<long> RollUpAsync(CancellationToken cancellationToken = default)
    {
        // Appends hold the lock shared; taking it exclusively waits for those in flight and, for an instant, keeps new ones
        // out: every sequence up to the maximum read here is then committed or never will be.
        long horizon;
        await using (NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            await using (var lockCommand = new NpgsqlCommand(HorizonLockSql, connection, transaction))
            {
                await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var command = new NpgsqlCommand(HorizonSql, connection, transaction))
            {
                horizon = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var meters = new List<(string Tenant, string Code, long Last)>();
        await using (NpgsqlCommand command = dataSource.CreateCommand(MetersSql))
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                meters.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            }
        }

        long total = 0;
        foreach ((string tenant, string code, long last) in meters.Where(m => m.Last < horizon))
        {
            Meter? meter = (await catalog.GetMetersAsync(tenant, cancellationToken).ConfigureAwait(false)).Find(code);
            if (meter is not null)
            {
                total += await RollUpMeterAsync(tenant, meter, last, horizon, cancellationToken).ConfigureAwait(false);
            }
        }

        return total;
    }

    private async Task<long> RollUpMeterAsync(string tenant, Meter meter, long from, long horizon, CancellationToken cancellationToken)
    {
        long total = 0;
        while (from < horizon)
        {
            var cells = new Dictionary<(string Subscription, DateTimeOffset Hour, string Group), Aggregate>();
            long last = from;
            int read = 0;
            await using (NpgsqlCommand command = dataSource.CreateCommand(EventsSql))
            {
                command.AddPositional(tenant, meter.EventType, from, horizon, ChunkSize);
                await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    read++;
                    last = reader.GetInt64(0);
                    Accumulate(cells, meter, reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3), last);
                }
            }

            if (read < ChunkSize)
            {
                last = horizon;
            }

            await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var progress = new NpgsqlCommand(ProgressSql, connection, transaction))
            {
                progress.AddPositional(tenant, meter.Code, from, last);
                if (await progress.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                {
                    return total; // another silo rolled this range up meanwhile
                }
            }

            if (cells.Count > 0)
            {
                var list = cells.ToList();
                await using var upsert = new NpgsqlCommand(UpsertSql, connection, transaction);
                upsert.AddPositional(tenant, meter.Code,
                    list.Select(c => c.Key.Subscription).ToArray(),
                    list.Select(c => c.Key.Hour).ToArray(),
                    list.Select(c => c.Key.Group).ToArray(),
                    list.Select(c => c.Value.Count).ToArray(),
                    list.Select(c => c.Value.Sum).ToArray());
                upsert.Parameters.Add(Nullable(list.Select(c => c.Value.Min)));
                upsert.Parameters.Add(Nullable(list.Select(c => c.Value.Max)));
                upsert.Parameters.Add(Nullable(list.Select(c => c.Value.Latest)));
                upsert.Parameters.Add(new NpgsqlParameter { Value = list.Select(c => c.Value.LatestAt).ToArray() });
                upsert.Parameters.Add(new NpgsqlParameter { Value = list.Select(c => c.Value.LatestSeq).ToArray() });
                upsert.Parameters.Add(new NpgsqlParameter
                {
                    Value = list.Select(c => c.Value.Uniques is null ? null : JsonSerializer.Serialize(c.Value.Uniques)).ToArray(),
                    NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text,
                });
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            total += read;
            from = last;
        }

        return total;
    }

    /// <summary>Usage of one subscription over any range: rollups plus the events after the meter's progress mark.</summary>
    public async Task<UsageResult> QueryAsync(string tenant, string subscriptionId, Meter meter, UsageQuery query, CancellationToken cancellationToken = default)
        => UsageCalculator.Build(meter, query, await CellsAsync(tenant, subscriptionId, meter, query, cancellationToken).ConfigureAwait(false));

    /// <summary>The hourly cells of the meter in [From, To): rollups below the committed horizon, the event log above it.</summary>
    public async Task<IReadOnlyList<HourlyCell>> CellsAsync(string tenant, string subscriptionId, Meter meter, UsageQuery query, CancellationToken cancellationToken = default)
    {
        var cells = new List<HourlyCell>();
        long progress;
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One snapshot for the three reads, so progress and rollups agree.
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand(ProgressOfSql, connection, transaction))
        {
            command.AddPositional(tenant, meter.Code);
            progress = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        await using (var command = new NpgsqlCommand(RollupsSql, connection, transaction))
        {
            command.AddPositional(tenant, subscriptionId, meter.Code, query.From, query.To);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var aggregate = new Aggregate
                {
                    Count = reader.GetInt64(2),
                    Sum = reader.GetDecimal(3),
                    Min = reader.IsDBNull(4) ? null : reader.GetDecimal(4),
                    Max = reader.IsDBNull(5) ? null : reader.GetDecimal(5),
                    Latest = reader.IsDBNull(6) ? null : reader.GetDecimal(6),
                    LatestAt = reader.IsDBNull(7) ? default : reader.GetFieldValue<DateTimeOffset>(7),
                    LatestSeq = reader.IsDBNull(8) ? 0 : reader.GetInt64(8),
                    Uniques = reader.IsDBNull(9) ? null : new HashSet<string>(reader.GetFieldValue<string[]>(9), StringComparer.Ordinal),
                };
                cells.Add(new HourlyCell(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), aggregate));
            }
        }

        var recent = new Dictionary<(string, DateTimeOffset, string), Aggregate>();
        await using (var command = new NpgsqlCommand(RecentSql, connection, transaction))
        {
            command.AddPositional(tenant, meter.EventType, subscriptionId, progress, query.From, query.To);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                Accumulate(recent, meter, reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3), reader.GetInt64(0));
            }
        }

        cells.AddRange(recent.Select(r => new HourlyCell(r.Key.Item2, r.Key.Item3, r.Value)));
        return cells;
    }

    private static void Accumulate(Dictionary<(string, DateTimeOffset, string), Aggregate> cells, Meter meter, string subscription, DateTimeOffset timestamp, string propertiesJson, long seq)
    {
        if (!meter.CountsAt(timestamp))
        {
            return;
        }

        using JsonDocument document = JsonDocument.Parse(propertiesJson);
        if (!MeterReading.TryRead(meter, document.RootElement, out decimal number, out string? unique))
        {
            return;
        }

        var key = (subscription, UsageCalculator.HourOf(timestamp), MeterReading.GroupKey(meter, document.RootElement));
        if (!cells.TryGetValue(key, out Aggregate? aggregate))
        {
            cells[key] = aggregate = new Aggregate();
        }

        aggregate.Add(meter.Aggregation, number, unique, timestamp, seq);
    }

    private static NpgsqlParameter Nullable(IEnumerable<decimal?> values)
        => new() { Value = values.Select(v => v.HasValue ? (object)v.Value : DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Numeric };

}
