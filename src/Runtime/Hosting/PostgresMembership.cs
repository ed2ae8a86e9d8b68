using Npgsql;

namespace Metering.Runtime;

/// <summary>Membership and leases in PostgreSQL (tables <c>silos</c>, <c>partition_leases</c> and <c>cluster_settings</c>).</summary>
public sealed class PostgresMembership(NpgsqlDataSource dataSource, SiloOptions options) : IMembership
{
    public bool Shared => true;

    private const string JoinSql =
        "INSERT INTO silos (id, address, status, started_at, heartbeat_at) VALUES ($1, $2, 'joining', now(), now()) "
        + "ON CONFLICT (id) DO UPDATE SET address = excluded.address, status = 'joining', started_at = now(), heartbeat_at = now()";

    private const string EnsurePartitionsSql =
        "INSERT INTO partition_leases (partition, owner, epoch, expires_at) SELECT p, NULL, 0, now() FROM generate_series(0, $1 - 1) p ON CONFLICT DO NOTHING";

    private const string AdvertiseSql = "UPDATE silos SET address = $2 WHERE id = $1";

    private const string SupersedeSql = """
        WITH earlier AS (UPDATE silos SET status = 'dead' WHERE address = $2 AND id <> $1 AND status <> 'dead' RETURNING id)
        UPDATE partition_leases SET expires_at = now() WHERE owner IN (SELECT id FROM earlier)
        """;

    private const string BeatSql = "UPDATE silos SET heartbeat_at = now(), activations = $2 WHERE id = $1 AND status <> 'dead' RETURNING status";

    private const string RenewSql = """
        UPDATE partition_leases SET expires_at = now() + $2
        WHERE owner = $1 AND EXISTS (SELECT 1 FROM silos WHERE id = $1 AND status <> 'dead')
        RETURNING partition, epoch
        """;

    private const string DeclareDeadSql = "UPDATE silos SET status = 'dead' WHERE status <> 'dead' AND heartbeat_at < now() - $1 RETURNING id";

    private const string LiveSql = "SELECT id FROM silos WHERE status IN ('joining', 'active') AND heartbeat_at >= now() - $1";

    private const string OwnersSql = """
        SELECT l.partition, l.owner, s.address, l.epoch FROM partition_leases l JOIN silos s ON s.id = l.owner
        WHERE l.expires_at > now() AND s.status <> 'dead'
        """;

    private const string ClaimSql = """
        UPDATE partition_leases l SET owner = $1, epoch = l.epoch + 1, expires_at = now() + $2
        WHERE l.partition IN (
            SELECT partition FROM partition_leases WHERE owner IS NULL OR expires_at < now()
            ORDER BY partition LIMIT $3 FOR UPDATE SKIP LOCKED)
          AND EXISTS (SELECT 1 FROM silos WHERE id = $1 AND status IN ('joining', 'active'))
        RETURNING l.partition, l.epoch
        """;

    // The leases are locked FOR UPDATE first, in partition order: that waits for the writes in flight under them, whose fence
    // checks hold them FOR KEY SHARE (which the UPDATE of non-key columns alone would not wait for).
    private const string ReleaseSql = """
        UPDATE partition_leases SET owner = NULL, expires_at = now()
        WHERE partition IN (SELECT partition FROM partition_leases WHERE owner = $1 AND partition = ANY($2) ORDER BY partition FOR UPDATE)
          AND owner = $1
        """;

    private const string StatusSql = "UPDATE silos SET status = $2, heartbeat_at = now() WHERE id = $1";

    private const string ListSql = """
        SELECT s.id, s.address, s.status, s.heartbeat_at, s.activations,
               (SELECT count(*) FROM partition_leases l WHERE l.owner = s.id AND l.expires_at > now())::int,
               s.status <> 'dead' AND s.heartbeat_at < now() - $1
        FROM silos s WHERE s.status <> 'dead' OR s.heartbeat_at > now() - interval '1 hour' ORDER BY s.started_at, s.id
        """;

    private const string SecretSql = """
        INSERT INTO cluster_settings (name, value) VALUES ('cluster_secret', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')) ON CONFLICT DO NOTHING;
        SELECT value FROM cluster_settings WHERE name = 'cluster_secret'
        """;

    private TimeSpan SuspectAfter => options.HeartbeatInterval * 2.5;

    public async Task JoinAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlBatch batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command(EnsurePartitionsSql, options.Partitions));
        batch.BatchCommands.Add(Command(JoinSql, options.SiloId, options.Address));
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task AdvertiseAsync(string address, CancellationToken cancellationToken)
    {
        await using NpgsqlBatch batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command(AdvertiseSql, options.SiloId, address));
        batch.BatchCommands.Add(Command(SupersedeSql, options.SiloId, address));
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<MembershipSnapshot> HeartbeatAsync(int activations, CancellationToken cancellationToken)
    {
        await using NpgsqlBatch batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command(BeatSql, options.SiloId, activations));
        batch.BatchCommands.Add(Command(RenewSql, options.SiloId, options.LeaseDuration));
        batch.BatchCommands.Add(Command(DeclareDeadSql, options.LeaseDuration));
        batch.BatchCommands.Add(Command(LiveSql, options.LeaseDuration));
        batch.BatchCommands.Add(Command(OwnersSql));
        await using NpgsqlDataReader reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        bool dead = !await reader.ReadAsync(cancellationToken).ConfigureAwait(false) || reader.GetString(0) == "dead";
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var renewed = new List<(int, long)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            renewed.Add((reader.GetInt32(0), reader.GetInt64(1)));
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false); // the silos declared dead now
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var live = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            live.Add(reader.GetString(0));
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        List<PartitionOwner> owners = await ReadOwnersAsync(reader, cancellationToken).ConfigureAwait(false);
        return new MembershipSnapshot(dead, renewed, live, owners);
    }

    public IReadOnlyList<(int Partition, long Epoch)>? KeepAlive(int activations)
    {
        using NpgsqlBatch batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command(BeatSql, options.SiloId, activations));
        batch.BatchCommands.Add(Command(RenewSql, options.SiloId, options.LeaseDuration));
        using NpgsqlDataReader reader = batch.ExecuteReader();
        if (!reader.Read() || reader.GetString(0) == "dead")
        {
            return null;
        }

        reader.NextResult();
        var renewed = new List<(int, long)>();
        while (reader.Read())
        {
            renewed.Add((reader.GetInt32(0), reader.GetInt64(1)));
        }

        return renewed;
    }

    public async Task<IReadOnlyList<(int Partition, long Epoch)>> ClaimAsync(int count, CancellationToken cancellationToken)
    {
        await using NpgsqlBatch batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command(ClaimSql, options.SiloId, options.LeaseDuration, count));
        await using NpgsqlDataReader reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var claimed = new List<(int, long)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            claimed.Add((reader.GetInt32(0), reader.GetInt64(1)));
        }

        return claimed;
    }

    public async Task ReleaseAsync(IReadOnlyList<int> partitions, CancellationToken cancellationToken)
    {
        await using NpgsqlBatch batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command(ReleaseSql, options.SiloId, partitions.ToArray()));
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task SetStatusAsync(SiloStatus status, CancellationToken cancellationToken)
    {
        await using NpgsqlBatch batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command(StatusSql, options.SiloId, DbName(status)));
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<SiloInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlBatch batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command(ListSql, SuspectAfter));
        await using NpgsqlDataReader reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var silos = new List<SiloInfo>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            silos.Add(new SiloInfo(reader.GetString(0), reader.GetString(1), ParseStatus(reader.GetString(2)), reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetInt32(5), reader.GetInt32(4), reader.GetBoolean(6)));
        }

        return silos;
    }

    public async Task<IReadOnlyList<PartitionOwner>> OwnersAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlBatch batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command(OwnersSql));
        await using NpgsqlDataReader reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await ReadOwnersAsync(reader, cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> SharedSecretAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(SecretSql);
        return (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The database name of a status: its name in lower case.</summary>
    private static string DbName(SiloStatus status) => status.ToString().ToLowerInvariant();

    private static SiloStatus ParseStatus(string value) => Enum.Parse<SiloStatus>(value, ignoreCase: true);

    private static async Task<List<PartitionOwner>> ReadOwnersAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var owners = new List<PartitionOwner>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            owners.Add(new PartitionOwner(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        }

        return owners;
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (object value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
