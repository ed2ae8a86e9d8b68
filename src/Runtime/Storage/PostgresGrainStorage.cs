using Npgsql;

namespace Metering.Runtime;

/// <summary>Grain state in PostgreSQL (table <c>grain_state</c>), with a version column and the partition fence checked on write.</summary>
public sealed class PostgresGrainStorage(NpgsqlDataSource dataSource) : IGrainStorage
{
    private const string ReadSql = "SELECT data, version FROM grain_state WHERE state_name = $1 AND grain_key = $2";

    private const string FenceHolds =
        "EXISTS (SELECT 1 FROM partition_leases WHERE partition = $4 AND owner = $5 AND epoch = $6)";

    private const string InsertSql =
        "INSERT INTO grain_state (state_name, grain_key, version, data, updated_at) SELECT $1, $2, 1, $3, now() WHERE "
        + FenceHolds + " ON CONFLICT DO NOTHING";

    private const string UpdateSql =
        "UPDATE grain_state SET version = version + 1, data = $3, updated_at = now() WHERE state_name = $1 AND grain_key = $2 AND version = $7 AND "
        + FenceHolds;

    /// <inheritdoc />
    public async Task<StoredState?> ReadAsync(string stateName, string key, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(ReadSql);
        command.Parameters.Add(new NpgsqlParameter { Value = stateName });
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new StoredState(reader.GetFieldValue<byte[]>(0), reader.GetInt64(1))
            : null;
    }

    /// <inheritdoc />
    public async Task<long> WriteAsync(string stateName, string key, byte[] data, long expectedVersion, FencingToken fence, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(expectedVersion == 0 ? InsertSql : UpdateSql);
        command.Parameters.Add(new NpgsqlParameter { Value = stateName });
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        command.Parameters.Add(new NpgsqlParameter { Value = data });
        command.Parameters.Add(new NpgsqlParameter { Value = fence.Partition });
        command.Parameters.Add(new NpgsqlParameter { Value = fence.SiloId });
        command.Parameters.Add(new NpgsqlParameter { Value = fence.Epoch });
        if (expectedVersion != 0)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = expectedVersion });
        }

        int rows = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return rows == 1
            ? expectedVersion + 1
            : throw new InconsistentStateException(
                $"State {stateName}/{key} is not at version {expectedVersion}, or partition {fence.Partition} is no longer held at epoch {fence.Epoch}.");
    }
}
