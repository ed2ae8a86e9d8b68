using Npgsql;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>Holds a table in SHARE mode so that writes to it queue up, then lets them all go at once: a test decides what
/// races (or what shares a group commit) instead of hoping for it.</summary>
public sealed class TableGate : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly string _table;

    private TableGate(NpgsqlConnection connection, NpgsqlTransaction transaction, string table)
        => (_connection, _transaction, _table) = (connection, transaction, table);

    public static async Task<TableGate> HoldAsync(AppFixture app, string table)
    {
        NpgsqlConnection connection = await app.OpenDatabaseAsync();
        NpgsqlTransaction transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand($"LOCK TABLE {table} IN SHARE MODE", connection, transaction);
        await command.ExecuteNonQueryAsync();
        return new TableGate(connection, transaction, table);
    }

    /// <summary>Waits (up to 10 s) until <paramref name="count"/> sessions wait for the table.</summary>
    public async Task WaitForWaitersAsync(int count)
    {
        await using var waiting = new NpgsqlCommand($"SELECT count(*) FROM pg_locks WHERE relation = '{_table}'::regclass AND NOT granted", _connection, _transaction);
        for (int polls = 0; polls < 400 && (long)(await waiting.ExecuteScalarAsync())! < count; polls++)
        {
            await Task.Delay(25);
        }
    }

    public Task ReleaseAsync() => _transaction.CommitAsync();

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
