using Metering.Grains.Catalog;
using Metering.Grains.Usage;
using Npgsql;
using NpgsqlTypes;

namespace Metering.Silo.Usage;

/// <summary>Usage in minute cells per subject and group: the minute rollups below their progress mark plus the events after
/// it (at most one rollup interval's worth), in one snapshot. Exact on any minute: minute windows, ranges that do not fall on
/// whole hours, and queries by subject across subscriptions read it.</summary>
public sealed class MinuteUsageReader(NpgsqlDataSource dataSource)
{
    private const string ProgressOfSql = "SELECT coalesce((SELECT last_seq FROM usage_minutes_progress WHERE tenant_id = $1 AND meter_code = $2), 0)";
    // The subscription and subject filters apply when given ($5 null, $6 empty: all).
    private const string RollupsSql = $"""
        SELECT minute, subject, group_key, {RollupSql.AggregateColumns} FROM usage_minutes
        WHERE tenant_id = $1 AND meter_code = $2 AND minute >= $3 AND minute < $4
          AND ($5::text IS NULL OR subscription_id = $5)
          AND (cardinality($6::text[]) = 0 OR subject = ANY($6::text[]))
        """;
    private const string RecentSql = """
        SELECT seq, subject, ts, properties::text FROM events
        WHERE tenant_id = $1 AND event_type = $2 AND seq > $7 AND ts >= $3 AND ts < $4
          AND ($5::text IS NULL OR subscription_id = $5)
          AND (cardinality($6::text[]) = 0 OR subject = ANY($6::text[]))
        """;

    /// <summary>The minute cells of <paramref name="meter"/> over [from, to), of one subscription (or all when null) and of
    /// the given subjects (all when empty).</summary>
    public async Task<IReadOnlyList<SubjectCell>> ReadAsync(string tenant, Meter meter, DateTimeOffset from, DateTimeOffset to, string? subscriptionId,
        IReadOnlyList<string> subjects, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One snapshot for the three reads, so the mark and the rollups agree.
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        long progress;
        await using (var command = new NpgsqlCommand(ProgressOfSql, connection, transaction))
        {
            command.AddPositional(tenant, meter.Code);
            progress = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        var cells = new List<SubjectCell>();
        await using (NpgsqlCommand command = Filtered(RollupsSql, connection, transaction, tenant, meter.Code, from, to, subscriptionId, subjects))
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                cells.Add(new SubjectCell(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.GetString(2), RollupCells.ReadAggregate(reader, 3)));
            }
        }

        cells.AddRange(await RecentAsync(connection, transaction, tenant, meter, from, to, subscriptionId, subjects, progress, cancellationToken).ConfigureAwait(false));
        return cells;
    }

    /// <summary>The cells of one subscription as <see cref="UsageCalculator"/> takes them (subjects merged by the calculator).</summary>
    public async Task<UsageResult> UsageAsync(string tenant, string subscriptionId, Meter meter, UsageQuery query, CancellationToken cancellationToken)
    {
        IReadOnlyList<SubjectCell> cells = await ReadAsync(tenant, meter, query.From, query.To, subscriptionId, [], cancellationToken).ConfigureAwait(false);
        return UsageCalculator.Build(meter, query, cells.Select(c => new HourlyCell(c.Minute, c.GroupKey, c.Aggregate)));
    }

    private static async Task<IEnumerable<SubjectCell>> RecentAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenant, Meter meter,
        DateTimeOffset from, DateTimeOffset to, string? subscriptionId, IReadOnlyList<string> subjects, long progress, CancellationToken cancellationToken)
    {
        var recent = new Dictionary<(DateTimeOffset, string, string), Aggregate>();
        await using NpgsqlCommand command = Filtered(RecentSql, connection, transaction, tenant, meter.EventType, from, to, subscriptionId, subjects);
        command.Parameters.Add(new NpgsqlParameter { Value = progress });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            string subject = reader.GetString(1);
            DateTimeOffset timestamp = reader.GetFieldValue<DateTimeOffset>(2);
            RollupCells.Add(recent, meter, timestamp, reader.GetString(3), reader.GetInt64(0), group => (UsageCalculator.MinuteOf(timestamp), subject, group));
        }

        return recent.Select(c => new SubjectCell(c.Key.Item1, c.Key.Item2, c.Key.Item3, c.Value));
    }

    /// <summary>A statement with the parameters $1..$6 both reads share.</summary>
    private static NpgsqlCommand Filtered(string sql, NpgsqlConnection connection, NpgsqlTransaction transaction, string tenant, string meterOrType,
        DateTimeOffset from, DateTimeOffset to, string? subscriptionId, IReadOnlyList<string> subjects)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        command.AddPositional(tenant, meterOrType, from, to);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)subscriptionId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = subjects.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        return command;
    }
}
