using Metering.Grains.Catalog;
using Metering.Grains.Usage;
using Npgsql;

namespace Metering.Silo.Usage;

/// <summary>Rolls events up into every <see cref="RollupLevel"/>. Each level advances per (tenant, meter) through events below
/// a horizon under which every event is committed, so "rollup + events after its progress mark" is always exact. One read
/// of the events serves every level that still needs them.</summary>
public sealed class RollupJob(NpgsqlDataSource dataSource, ICatalogReader catalog)
{
    private const string HorizonLockSql = "SELECT pg_advisory_xact_lock(7263)";
    private const string HorizonSql = "SELECT coalesce(max(seq), 0) FROM events";
    private const string MetersSql = """
        SELECT m.tenant_id, m.code, coalesce(h.last_seq, 0), coalesce(n.last_seq, 0) FROM meters m
        LEFT JOIN rollup_progress h ON h.tenant_id = m.tenant_id AND h.meter_code = m.code
        LEFT JOIN usage_minutes_progress n ON n.tenant_id = m.tenant_id AND n.meter_code = m.code
        """;
    private const string EventsSql = """
        SELECT seq, subscription_id, subject, ts, properties::text FROM events
        WHERE tenant_id = $1 AND event_type = $2 AND seq > $3 AND seq <= $4 ORDER BY seq LIMIT $5
        """;

    /// <summary>An event of a chunk as the meter counts it, read once for every level.</summary>
    private sealed record ChunkEvent(long Seq, string Subscription, string Subject, DateTimeOffset Timestamp, (decimal Number, string? Unique, string Group)? Reading);

    public int ChunkSize { get; set; } = 20000;

    /// <summary>Rolls every meter forward to the current horizon. Returns the number of events read.</summary>
    public async Task<long> RollUpAsync(CancellationToken cancellationToken = default)
    {
        long horizon = await HorizonAsync(cancellationToken).ConfigureAwait(false);
        long total = 0;
        foreach ((string tenant, string code, long[] marks) in await MetersAsync(cancellationToken).ConfigureAwait(false))
        {
            if (marks.Min() < horizon && (await catalog.GetMetersAsync(tenant, cancellationToken).ConfigureAwait(false)).Find(code) is { } meter)
            {
                total += await RollUpMeterAsync(tenant, meter, marks, horizon, cancellationToken).ConfigureAwait(false);
            }
        }

        return total;
    }

    /// <summary>Appends hold the lock shared; taking it exclusively waits for those in flight and, for an instant, keeps new
    /// ones out: every sequence up to the maximum read here is then committed or never will be.</summary>
    private async Task<long> HorizonAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand(HorizonLockSql, connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        long horizon;
        await using (var command = new NpgsqlCommand(HorizonSql, connection, transaction))
        {
            horizon = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return horizon;
    }

    /// <summary>Every meter with its progress mark per level, in the order of <see cref="RollupLevel.All"/>.</summary>
    private async Task<List<(string Tenant, string Code, long[] Marks)>> MetersAsync(CancellationToken cancellationToken)
    {
        var meters = new List<(string, string, long[])>();
        await using NpgsqlCommand command = dataSource.CreateCommand(MetersSql);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            meters.Add((reader.GetString(0), reader.GetString(1), [reader.GetInt64(2), reader.GetInt64(3)]));
        }

        return meters;
    }

    private async Task<long> RollUpMeterAsync(string tenant, Meter meter, long[] marks, long horizon, CancellationToken cancellationToken)
    {
        long total = 0;
        for (long from = marks.Min(); from < horizon; from = marks.Min())
        {
            List<ChunkEvent> chunk = await ReadChunkAsync(tenant, meter, from, horizon, cancellationToken).ConfigureAwait(false);
            // The mark moves past every event read, counted by the meter or not.
            long last = chunk.Count < ChunkSize ? horizon : chunk[^1].Seq;
            await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < marks.Length; i++)
            {
                if (marks[i] < last)
                {
                    // Another silo that rolled this range up meanwhile leaves the level to it for this run.
                    bool advanced = await WriteLevelAsync(connection, transaction, RollupLevel.All[i], tenant, meter, chunk, marks[i], last, cancellationToken).ConfigureAwait(false);
                    marks[i] = advanced ? last : long.MaxValue;
                }
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            total += chunk.Count;
        }

        return total;
    }

    private async Task<List<ChunkEvent>> ReadChunkAsync(string tenant, Meter meter, long from, long horizon, CancellationToken cancellationToken)
    {
        var chunk = new List<ChunkEvent>();
        await using NpgsqlCommand command = dataSource.CreateCommand(EventsSql);
        command.AddPositional(tenant, meter.EventType, from, horizon, ChunkSize);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            DateTimeOffset timestamp = reader.GetFieldValue<DateTimeOffset>(3);
            chunk.Add(new ChunkEvent(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), timestamp, RollupCells.Read(meter, timestamp, reader.GetString(4))));
        }

        return chunk;
    }

    /// <summary>Moves the level's mark from <paramref name="mark"/> to <paramref name="last"/> and adds the chunk's events past
    /// the mark to its cells, in the caller's transaction; false when another silo moved the mark first.</summary>
    private static async Task<bool> WriteLevelAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RollupLevel level, string tenant, Meter meter,
        List<ChunkEvent> chunk, long mark, long last, CancellationToken cancellationToken)
    {
        await using (var progress = new NpgsqlCommand(level.ProgressSql, connection, transaction))
        {
            progress.AddPositional(tenant, meter.Code, mark, last);
            if (await progress.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return false;
            }
        }

        var cells = new Dictionary<RollupKey, Aggregate>();
        foreach (ChunkEvent e in chunk.Where(e => e.Seq > mark && e.Reading is not null))
        {
            RollupCells.Add(cells, meter, level.KeyOf(e.Subscription, e.Subject, e.Timestamp, e.Reading!.Value.Group), e.Reading.Value, e.Timestamp, e.Seq);
        }

        if (cells.Count > 0)
        {
            await using var upsert = new NpgsqlCommand(level.UpsertSql, connection, transaction);
            RollupCells.AddTo(upsert, tenant, meter.Code, cells);
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return true;
    }
}
