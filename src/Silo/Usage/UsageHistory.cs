using Metering.Grains.Catalog;
using Metering.Grains.Usage;
using Npgsql;

namespace Metering.Silo.Usage;

/// <summary>Usage beyond what a subscription grain holds: hourly rollups in PostgreSQL plus the events not yet rolled up.
/// Rollups advance per (tenant, meter) through events below a horizon under which every event is committed, so the
/// union "rollups + events after the progress mark" is always exact.</summary>
public sealed class UsageHistory(NpgsqlDataSource dataSource)
{
    private const string ProgressOfSql = "SELECT coalesce((SELECT last_seq FROM rollup_progress WHERE tenant_id = $1 AND meter_code = $2), 0)";
    private const string RollupsSql = $"""
        SELECT hour, group_key, {RollupSql.AggregateColumns} FROM usage_rollups
        WHERE tenant_id = $1 AND subscription_id = $2 AND meter_code = $3 AND hour >= $4 AND hour < $5
        """;
    private const string RecentSql = """
        SELECT seq, ts, properties::text FROM events
        WHERE tenant_id = $1 AND event_type = $2 AND subscription_id = $3 AND seq > $4 AND ts >= $5 AND ts < $6
        """;

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
                cells.Add(new HourlyCell(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), RollupCells.ReadAggregate(reader, 2)));
            }
        }

        var recent = new Dictionary<(DateTimeOffset, string), Aggregate>();
        await using (var command = new NpgsqlCommand(RecentSql, connection, transaction))
        {
            command.AddPositional(tenant, meter.EventType, subscriptionId, progress, query.From, query.To);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                DateTimeOffset timestamp = reader.GetFieldValue<DateTimeOffset>(1);
                RollupCells.Add(recent, meter, timestamp, reader.GetString(2), reader.GetInt64(0), group => (UsageCalculator.HourOf(timestamp), group));
            }
        }

        cells.AddRange(recent.Select(r => new HourlyCell(r.Key.Item1, r.Key.Item2, r.Value)));
        return cells;
    }
}
