using Npgsql;

namespace Metering.Runtime;

/// <summary>A member of the cluster as the membership table holds it.</summary>
public sealed record SiloInfo(string Id, string Address, string Status, DateTimeOffset HeartbeatAt, int Partitions);

/// <summary>Cluster membership and partition leases.</summary>
public interface IMembership
{
    /// <summary>Adds this silo to the membership table as active.</summary>
    Task JoinAsync(CancellationToken cancellationToken);

    /// <summary>Takes the leases of every partition (one silo owns them all), raising each epoch; returns (partition, epoch).</summary>
    Task<IReadOnlyList<(int Partition, long Epoch)>> ClaimAllAsync(CancellationToken cancellationToken);

    /// <summary>Heartbeats and renews this silo's leases.</summary>
    Task HeartbeatAsync(CancellationToken cancellationToken);

    /// <summary>Marks this silo stopped and lets its leases expire now.</summary>
    Task LeaveAsync(CancellationToken cancellationToken);

    /// <summary>The members.</summary>
    Task<IReadOnlyList<SiloInfo>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>Membership of a lone silo with nothing shared: owns every partition at epoch 1.</summary>
public sealed class LocalMembership(SiloOptions options, TimeProvider time) : IMembership
{
    /// <inheritdoc />
    public Task JoinAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task<IReadOnlyList<(int Partition, long Epoch)>> ClaimAllAsync(CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlyList<(int, long)>>(Enumerable.Range(0, options.Partitions).Select(p => (p, 1L)).ToList());

    /// <inheritdoc />
    public Task HeartbeatAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task LeaveAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task<IReadOnlyList<SiloInfo>> ListAsync(CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlyList<SiloInfo>>([new SiloInfo(options.SiloId, options.Address, "active", time.GetUtcNow(), options.Partitions)]);
}

/// <summary>Membership and leases in PostgreSQL (tables <c>silos</c> and <c>partition_leases</c>).</summary>
public sealed class PostgresMembership(NpgsqlDataSource dataSource, SiloOptions options) : IMembership
{
    private const string JoinSql =
        "INSERT INTO silos (id, address, status, started_at, heartbeat_at) VALUES ($1, $2, 'active', now(), now()) "
        + "ON CONFLICT (id) DO UPDATE SET address = excluded.address, status = 'active', heartbeat_at = now()";

    private const string EnsurePartitionsSql =
        "INSERT INTO partition_leases (partition, owner, epoch, expires_at) SELECT p, NULL, 0, now() FROM generate_series(0, $1 - 1) p ON CONFLICT DO NOTHING";

    private const string ClaimAllSql =
        "UPDATE partition_leases SET owner = $1, epoch = epoch + 1, expires_at = now() + $2 WHERE partition < $3 RETURNING partition, epoch";

    private const string HeartbeatSql = "UPDATE silos SET heartbeat_at = now() WHERE id = $1";

    private const string RenewLeasesSql = "UPDATE partition_leases SET expires_at = now() + $2 WHERE owner = $1";

    private const string LeaveSql = "UPDATE silos SET status = 'stopped', heartbeat_at = now() WHERE id = $1";

    private const string ReleaseLeasesSql = "UPDATE partition_leases SET expires_at = now() WHERE owner = $1 AND $2::interval IS NOT NULL";

    private const string ListSql =
        "SELECT s.id, s.address, s.status, s.heartbeat_at, (SELECT count(*) FROM partition_leases l WHERE l.owner = s.id AND l.expires_at > now())::int "
        + "FROM silos s WHERE s.status = 'active' OR s.heartbeat_at > now() - interval '1 hour' ORDER BY s.started_at";

    /// <inheritdoc />
    public async Task JoinAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(JoinSql);
        command.Parameters.Add(new NpgsqlParameter { Value = options.SiloId });
        command.Parameters.Add(new NpgsqlParameter { Value = options.Address });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<(int Partition, long Epoch)>> ClaimAllAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var ensure = new NpgsqlCommand(EnsurePartitionsSql, connection, transaction))
        {
            ensure.Parameters.Add(new NpgsqlParameter { Value = options.Partitions });
            await ensure.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var claimed = new List<(int, long)>();
        await using (var claim = new NpgsqlCommand(ClaimAllSql, connection, transaction))
        {
            claim.Parameters.Add(new NpgsqlParameter { Value = options.SiloId });
            claim.Parameters.Add(new NpgsqlParameter { Value = options.LeaseDuration });
            claim.Parameters.Add(new NpgsqlParameter { Value = options.Partitions });
            await using NpgsqlDataReader reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                claimed.Add((reader.GetInt32(0), reader.GetInt64(1)));
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return claimed;
    }

    /// <inheritdoc />
    public Task HeartbeatAsync(CancellationToken cancellationToken) => SiloAndLeasesAsync(HeartbeatSql, RenewLeasesSql, cancellationToken);

    /// <inheritdoc />
    public Task LeaveAsync(CancellationToken cancellationToken) => SiloAndLeasesAsync(LeaveSql, ReleaseLeasesSql, cancellationToken);

    /// <summary>Updates this silo's row and its leases in one round trip and one transaction.</summary>
    private async Task SiloAndLeasesAsync(string siloSql, string leasesSql, CancellationToken cancellationToken)
    {
        await using NpgsqlBatch batch = dataSource.CreateBatch();
        var silo = new NpgsqlBatchCommand(siloSql);
        silo.Parameters.Add(new NpgsqlParameter { Value = options.SiloId });
        var leases = new NpgsqlBatchCommand(leasesSql);
        leases.Parameters.Add(new NpgsqlParameter { Value = options.SiloId });
        leases.Parameters.Add(new NpgsqlParameter { Value = options.LeaseDuration });
        batch.BatchCommands.Add(silo);
        batch.BatchCommands.Add(leases);
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SiloInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(ListSql);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var silos = new List<SiloInfo>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            silos.Add(new SiloInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetInt32(4)));
        }

        return silos;
    }
}
