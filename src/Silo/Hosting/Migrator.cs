using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Metering.Silo.Hosting;

/// <summary>Applies the numbered SQL migrations embedded in this assembly, each once, in order, under an advisory lock so
/// that silos starting together do not race.</summary>
public static class Migrator
{
    private const string CreateTableSql =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())";

    private const string LockSql = "SELECT pg_advisory_xact_lock(7262)";

    private const string AppliedSql = "SELECT version FROM schema_migrations";

    private const string RecordSql = "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)";

    public static async Task<int> ApplyAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken cancellationToken = default)
    {
        Assembly assembly = typeof(Migrator).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(n => n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => (Resource: n, Name: n.Split('.')[^2]))
            .Select(m => (m.Resource, m.Name, Version: int.Parse(m.Name.Split('_')[0], System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(m => m.Version)
            .ToList();

        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await Execute(connection, transaction, LockSql, cancellationToken).ConfigureAwait(false);
        await Execute(connection, transaction, CreateTableSql, cancellationToken).ConfigureAwait(false);
        var applied = new HashSet<int>();
        await using (var read = new NpgsqlCommand(AppliedSql, connection, transaction))
        await using (NpgsqlDataReader reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        int count = 0;
        foreach ((string resource, string name, int version) in migrations.Where(m => !applied.Contains(m.Version)))
        {
            await using Stream stream = assembly.GetManifestResourceStream(resource)!;
            using var text = new StreamReader(stream);
            await Execute(connection, transaction, await text.ReadToEndAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            await using var record = new NpgsqlCommand(RecordSql, connection, transaction);
            record.Parameters.Add(new NpgsqlParameter { Value = version });
            record.Parameters.Add(new NpgsqlParameter { Value = name });
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Applied migration {Name}", name);
            count++;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return count;
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
