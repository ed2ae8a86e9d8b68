using Npgsql;

namespace Metering.Silo.Listing;

/// <summary>Reads a page with a keyset query. The query's last two positional parameters are the cursor (text, null for
/// the first page) and the number of rows to read; it orders by its unique key and keeps only rows after the cursor.</summary>
public static class Pages
{
    public static async Task<Page<T>> ReadAsync<T>(NpgsqlDataSource dataSource, string sql, IReadOnlyList<object?> parameters, PageRequest page,
        Func<NpgsqlDataReader, T> read, Func<T, string> cursorOf, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        foreach (object? value in parameters)
        {
            command.Parameters.Add(value is NpgsqlParameter parameter ? parameter : new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        command.Parameters.Add(new NpgsqlParameter { Value = (object?)page.After ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = page.Limit + 1 });
        var rows = new List<T>(Math.Min(page.Limit + 1, PageRequest.MaxLimit + 1));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(read(reader));
        }

        return Page<T>.From(rows, page.Limit, cursorOf);
    }

    /// <summary>A page of a list already in memory, ordered by <paramref name="cursorOf"/> (ordinal).</summary>
    public static Page<T> Of<T>(IEnumerable<T> items, PageRequest page, Func<T, string> cursorOf)
        => Page<T>.From(items
            .Where(i => page.After is null || string.CompareOrdinal(cursorOf(i), page.After) > 0)
            .OrderBy(cursorOf, StringComparer.Ordinal)
            .Take(page.Limit + 1)
            .ToList(), page.Limit, cursorOf);
}
