using System.Text.Json;
using Metering.Grains.Catalog;
using Metering.Grains.Usage;
using Npgsql;
using NpgsqlTypes;

namespace Metering.Silo.Usage;

/// <summary>Usage read straight from the event log, in minute cells per subject and group: exact on any minute, for minute
/// windows, ranges that do not fall on whole hours, and queries by subject across subscriptions. Each event counts for the
/// meter as <see cref="MeterReading"/> says, as in the grains and the rollups.</summary>
public sealed class EventUsageReader(NpgsqlDataSource dataSource)
{
    // The index events_type_ts (0010) serves the range; the subscription and subject filters apply when given.
    private const string EventsSql = """
        SELECT seq, subject, ts, properties::text FROM events
        WHERE tenant_id = $1 AND event_type = $2 AND ts >= $3 AND ts < $4
          AND ($5::text IS NULL OR subscription_id = $5)
          AND (cardinality($6::text[]) = 0 OR subject = ANY($6::text[]))
        """;

    /// <summary>The minute cells of <paramref name="meter"/> over [from, to), of one subscription (or all when null) and of
    /// the given subjects (all when empty).</summary>
    public async Task<IReadOnlyList<SubjectCell>> ReadAsync(string tenant, Meter meter, DateTimeOffset from, DateTimeOffset to, string? subscriptionId,
        IReadOnlyList<string> subjects, CancellationToken cancellationToken)
    {
        var cells = new Dictionary<(DateTimeOffset, string, string), Aggregate>();
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(EventsSql, connection);
        command.AddPositional(tenant, meter.EventType, from, to);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)subscriptionId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = subjects.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            Accumulate(cells, meter, reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3), reader.GetInt64(0));
        }

        return [.. cells.Select(c => new SubjectCell(c.Key.Item1, c.Key.Item2, c.Key.Item3, c.Value))];
    }

    /// <summary>The cells of one subscription as <see cref="UsageCalculator"/> takes them (subjects merged by the calculator).</summary>
    public async Task<UsageResult> UsageAsync(string tenant, string subscriptionId, Meter meter, UsageQuery query, CancellationToken cancellationToken)
    {
        IReadOnlyList<SubjectCell> cells = await ReadAsync(tenant, meter, query.From, query.To, subscriptionId, [], cancellationToken).ConfigureAwait(false);
        return UsageCalculator.Build(meter, query, cells.Select(c => new HourlyCell(c.Minute, c.GroupKey, c.Aggregate)));
    }

    private static void Accumulate(Dictionary<(DateTimeOffset, string, string), Aggregate> cells, Meter meter, string subject, DateTimeOffset timestamp,
        string propertiesJson, long seq)
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

        var key = (UsageCalculator.MinuteOf(timestamp), subject, MeterReading.GroupKey(meter, document.RootElement));
        if (!cells.TryGetValue(key, out Aggregate? aggregate))
        {
            cells[key] = aggregate = new Aggregate();
        }

        aggregate.Add(meter.Aggregation, number, unique, timestamp, seq);
    }
}
