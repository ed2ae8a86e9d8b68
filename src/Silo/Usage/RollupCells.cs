using System.Runtime.InteropServices;
using System.Text.Json;
using Metering.Grains.Catalog;
using Metering.Grains.Usage;
using Npgsql;
using NpgsqlTypes;

namespace Metering.Silo.Usage;

/// <summary>Cells of aggregates as the rollups and the readers of the event log build them: each event counts for a meter as
/// <see cref="MeterReading"/> says, as in the grains.</summary>
public static class RollupCells
{
    /// <summary>Counts one event in the cell <paramref name="keyOf"/> names for its group; an event the meter does not count
    /// (before the meter, or without its value) is left out.</summary>
    public static void Add<TKey>(Dictionary<TKey, Aggregate> cells, Meter meter, DateTimeOffset timestamp, string propertiesJson, long seq, Func<string, TKey> keyOf)
        where TKey : notnull
    {
        if (Read(meter, timestamp, propertiesJson) is { } reading)
        {
            Add(cells, meter, keyOf(reading.Group), reading, timestamp, seq);
        }
    }

    /// <summary>How one event counts for the meter: its number, unique value and group; null when the meter does not count it.</summary>
    public static (decimal Number, string? Unique, string Group)? Read(Meter meter, DateTimeOffset timestamp, string propertiesJson)
    {
        if (!meter.CountsAt(timestamp))
        {
            return null;
        }

        using JsonDocument document = JsonDocument.Parse(propertiesJson);
        return MeterReading.TryRead(meter, document.RootElement, out decimal number, out string? unique)
            ? (number, unique, MeterReading.GroupKey(meter, document.RootElement))
            : null;
    }

    /// <summary>Counts an event already read (<see cref="Read"/>) in the cell <paramref name="key"/>.</summary>
    public static void Add<TKey>(Dictionary<TKey, Aggregate> cells, Meter meter, TKey key, (decimal Number, string? Unique, string Group) reading, DateTimeOffset timestamp, long seq)
        where TKey : notnull
    {
        ref Aggregate? aggregate = ref CollectionsMarshal.GetValueRefOrAddDefault(cells, key, out _);
        (aggregate ??= new Aggregate()).Add(meter.Aggregation, reading.Number, reading.Unique, timestamp, seq);
    }

    /// <summary>The aggregate stored in <see cref="RollupSql.AggregateColumns"/>, starting at column <paramref name="first"/>.</summary>
    public static Aggregate ReadAggregate(NpgsqlDataReader reader, int first) => new()
    {
        Count = reader.GetInt64(first),
        Sum = reader.GetDecimal(first + 1),
        Min = reader.IsDBNull(first + 2) ? null : reader.GetDecimal(first + 2),
        Max = reader.IsDBNull(first + 3) ? null : reader.GetDecimal(first + 3),
        Latest = reader.IsDBNull(first + 4) ? null : reader.GetDecimal(first + 4),
        LatestAt = reader.IsDBNull(first + 5) ? default : reader.GetFieldValue<DateTimeOffset>(first + 5),
        LatestSeq = reader.IsDBNull(first + 6) ? 0 : reader.GetInt64(first + 6),
        Uniques = reader.IsDBNull(first + 7) ? null : new HashSet<string>(reader.GetFieldValue<string[]>(first + 7), StringComparer.Ordinal),
    };

    /// <summary>The parameters $1..$14 of an upsert in <see cref="RollupSql"/>.</summary>
    public static void AddTo(NpgsqlCommand command, string tenant, string meterCode, IReadOnlyCollection<KeyValuePair<RollupKey, Aggregate>> cells)
    {
        command.AddPositional(tenant, meterCode,
            cells.Select(c => c.Key.Subscription).ToArray(),
            cells.Select(c => c.Key.Subject).ToArray(),
            cells.Select(c => c.Key.Start).ToArray(),
            cells.Select(c => c.Key.Group).ToArray(),
            cells.Select(c => c.Value.Count).ToArray(),
            cells.Select(c => c.Value.Sum).ToArray(),
            Nullable(cells.Select(c => c.Value.Min)),
            Nullable(cells.Select(c => c.Value.Max)),
            Nullable(cells.Select(c => c.Value.Latest)),
            cells.Select(c => c.Value.LatestAt).ToArray(),
            cells.Select(c => c.Value.LatestSeq).ToArray(),
            new NpgsqlParameter
            {
                Value = cells.Select(c => c.Value.Uniques is null ? null : JsonSerializer.Serialize(c.Value.Uniques)).ToArray(),
                NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
            });
    }

    private static NpgsqlParameter Nullable(IEnumerable<decimal?> values)
        => new() { Value = values.Select(v => v.HasValue ? (object)v.Value : DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Numeric };
}
