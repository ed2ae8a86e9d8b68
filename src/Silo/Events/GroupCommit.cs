using Metering.Grains.Events;
using Npgsql;
using NpgsqlTypes;

namespace Metering.Silo.Events;

/// <summary>
/// One group commit: every event of the queued appends in one round trip and one transaction (the partitions' fences
/// checked, then one multi-row insert that skips keys already taken), then each event settled. One definition of "the same
/// event": the tenant and idempotency key name it; a key taken before, or earlier in the same batch, is a duplicate when the
/// payload hash matches and a reused key otherwise.
/// </summary>
internal sealed class GroupCommit
{
    private const string FenceSql = "SELECT metering_assert_fences($1, $2, $3)";

    private const string InsertSql = """
        INSERT INTO events (tenant_id, idempotency_key, event_id, subscription_id, subject, event_type, ts, received_at, properties, payload_hash, meta, partition)
        SELECT t.tenant_id, t.idempotency_key, t.event_id, t.subscription_id, t.subject, t.event_type, t.ts, t.received_at, t.properties::jsonb, t.payload_hash, t.meta::jsonb, t.partition
        FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::text[], $10::bytea[], $11::text[], $12::int[])
          AS t(tenant_id, idempotency_key, event_id, subscription_id, subject, event_type, ts, received_at, properties, payload_hash, meta, partition)
        ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
        RETURNING tenant_id, idempotency_key, seq
        """;

    private const string ExistingSql = """
        SELECT e.tenant_id, e.idempotency_key, e.event_id, e.payload_hash
        FROM events e JOIN unnest($1::text[], $2::text[]) AS k(tenant_id, idempotency_key)
          ON e.tenant_id = k.tenant_id AND e.idempotency_key = k.idempotency_key
        """;

    private readonly List<AppendRequest> _batch;

    /// <summary>The first event of each (tenant, key) in the batch, which is written; <see cref="_repeats"/> holds the later ones.</summary>
    private readonly List<(AppendRequest Request, int Index)> _rows = [];

    private readonly List<(AppendRequest Request, int Index, (AppendRequest Request, int Index) First)> _repeats = [];

    private readonly Guid[] _ids;

    /// <summary>Keys already stored before this commit, with the stored event's id and payload hash.</summary>
    private readonly Dictionary<(string, string), (Guid Id, byte[] Hash)> _stored = [];

    public GroupCommit(List<AppendRequest> batch)
    {
        _batch = batch;
        var firstByKey = new Dictionary<(string, string), (AppendRequest, int)>();
        foreach (AppendRequest request in batch)
        {
            for (int i = 0; i < request.Events.Count; i++)
            {
                var key = (request.TenantId, request.Events[i].IdempotencyKey);
                if (firstByKey.TryGetValue(key, out var first))
                {
                    _repeats.Add((request, i, first));
                }
                else
                {
                    firstByKey[key] = (request, i);
                    _rows.Add((request, i));
                }
            }
        }

        _ids = [.. _rows.Select(_ => Guid.CreateVersion7())];
    }

    public async Task RunAsync(NpgsqlConnection connection)
    {
        Dictionary<(string, string), long> inserted = await InsertAsync(connection).ConfigureAwait(false);
        List<int> missing = SettleInserted(inserted);
        if (missing.Count > 0)
        {
            await SettleTakenAsync(connection, missing).ConfigureAwait(false);
        }

        SettleRepeats();
    }

    /// <summary>The fence check and the insert in one batch (one implicit transaction: all or nothing); the keys inserted,
    /// with their sequence.</summary>
    private async Task<Dictionary<(string, string), long>> InsertAsync(NpgsqlConnection connection)
    {
        var inserted = new Dictionary<(string, string), long>(_rows.Count);
        await using var command = new NpgsqlBatch(connection);
        command.BatchCommands.Add(FenceCommand());
        command.BatchCommands.Add(InsertCommand());
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        await reader.NextResultAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            inserted[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        }

        return inserted;
    }

    private NpgsqlBatchCommand FenceCommand()
    {
        var fences = _batch.Select(b => b.Fence).Distinct().ToArray();
        var fence = new NpgsqlBatchCommand(FenceSql);
        fence.Parameters.Add(new NpgsqlParameter<string> { TypedValue = fences[0].SiloId });
        fence.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. fences.Select(f => f.Partition)] });
        fence.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. fences.Select(f => f.Epoch)] });
        return fence;
    }

    /// <summary>The insert of every row, as one array per column.</summary>
    private NpgsqlBatchCommand InsertCommand()
    {
        var insert = new NpgsqlBatchCommand(InsertSql);
        insert.Parameters.Add(Column(r => r.Request.TenantId));
        insert.Parameters.Add(Column(r => Event(r).IdempotencyKey));
        insert.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = _ids });
        insert.Parameters.Add(Column(r => r.Request.SubscriptionId));
        insert.Parameters.Add(Column(r => Event(r).Subject));
        insert.Parameters.Add(Column(r => Event(r).EventType));
        insert.Parameters.Add(Column(r => Event(r).Timestamp.ToUniversalTime()));
        insert.Parameters.Add(Column(r => Event(r).ReceivedAt.ToUniversalTime()));
        insert.Parameters.Add(Column(r => Event(r).PropertiesJson));
        insert.Parameters.Add(Column(r => Event(r).PayloadHash));
        insert.Parameters.Add(new NpgsqlParameter { Value = _rows.Select(r => Event(r).MetaJson).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        insert.Parameters.Add(Column(r => r.Request.Fence.Partition));
        return insert;
    }

    private NpgsqlParameter<T[]> Column<T>(Func<(AppendRequest Request, int Index), T> value) => new() { TypedValue = [.. _rows.Select(value)] };

    private static IncomingEvent Event((AppendRequest Request, int Index) row) => row.Request.Events[row.Index];

    /// <summary>Each inserted row is created; returns the rows whose key was taken before.</summary>
    private List<int> SettleInserted(Dictionary<(string, string), long> inserted)
    {
        var missing = new List<int>();
        for (int r = 0; r < _rows.Count; r++)
        {
            (AppendRequest request, int i) = _rows[r];
            if (inserted.TryGetValue((request.TenantId, request.Events[i].IdempotencyKey), out long seq))
            {
                request.Outcomes[i] = new IngestOutcome(IngestStatus.Created, _ids[r], seq);
            }
            else
            {
                missing.Add(r);
            }
        }

        return missing;
    }

    /// <summary>Rows whose key was accepted before (by an earlier request, or a racing one on another grain): their payload is
    /// compared with the stored event's.</summary>
    private async Task SettleTakenAsync(NpgsqlConnection connection, List<int> missing)
    {
        await using NpgsqlCommand existing = new(ExistingSql, connection);
        existing.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. missing.Select(r => _rows[r].Request.TenantId)] });
        existing.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. missing.Select(r => Event(_rows[r]).IdempotencyKey)] });
        await using (NpgsqlDataReader reader = await existing.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                _stored[(reader.GetString(0), reader.GetString(1))] = (reader.GetGuid(2), reader.GetFieldValue<byte[]>(3));
            }
        }

        foreach (int r in missing)
        {
            (AppendRequest request, int i) = _rows[r];
            request.Outcomes[i] = _stored.TryGetValue((request.TenantId, request.Events[i].IdempotencyKey), out var original)
                ? IngestOutcome.Settle(request.Events[i].PayloadHash, original.Id, original.Hash)
                : IngestOutcome.Failed("The event conflicted with one that is no longer visible; retry.");
        }
    }

    /// <summary>A later copy of a key in the same batch is settled against the first: against the first copy's payload when
    /// it was created now, the earlier stored event's otherwise.</summary>
    private void SettleRepeats()
    {
        foreach ((AppendRequest request, int i, (AppendRequest Request, int Index) first) in _repeats)
        {
            IngestOutcome firstOutcome = first.Request.Outcomes[first.Index];
            byte[]? storedHash = firstOutcome.Status == IngestStatus.Created
                ? first.Request.Events[first.Index].PayloadHash
                : _stored.TryGetValue((request.TenantId, request.Events[i].IdempotencyKey), out var original) ? original.Hash : null;
            request.Outcomes[i] = firstOutcome.Status == IngestStatus.Failed
                ? firstOutcome
                : IngestOutcome.Settle(request.Events[i].PayloadHash, firstOutcome.EventId, storedHash);
        }
    }

}
