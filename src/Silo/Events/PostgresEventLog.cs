using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Metering.Grains.Events;
using Metering.Runtime;
using Metering.Runtime.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Metering.Silo.Events;

/// <summary>The event log on PostgreSQL. Appends queue per lane; each lane writes everything queued, from many requests and
/// grains, in one round trip and one transaction (fence check, then one multi-row insert), then completes them all.</summary>
public sealed class PostgresEventLog : IEventLog, IAsyncDisposable
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

    private const string KeysTakenSql = "SELECT idempotency_key FROM events WHERE tenant_id = $1 AND idempotency_key = ANY($2::text[])";

    private const string ReadSql = """
        SELECT seq, event_type, ts, received_at, properties::text FROM events
        WHERE tenant_id = $1 AND subscription_id = $2 AND seq > $3 AND ts >= $4 ORDER BY seq
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly EventLogOptions _options;
    private readonly ILogger<PostgresEventLog> _logger;
    private readonly Channel<AppendRequest>[] _lanes;
    private readonly Task[] _workers;

    public PostgresEventLog(NpgsqlDataSource dataSource, EventLogOptions options, ILogger<PostgresEventLog> logger)
    {
        _dataSource = dataSource;
        _options = options;
        _logger = logger;
        _lanes = new Channel<AppendRequest>[Math.Max(1, options.Lanes)];
        _workers = new Task[_lanes.Length];
        for (int i = 0; i < _lanes.Length; i++)
        {
            _lanes[i] = Channel.CreateUnbounded<AppendRequest>(new UnboundedChannelOptions { SingleReader = true });
            ChannelReader<AppendRequest> reader = _lanes[i].Reader;
            _workers[i] = Task.Run(() => RunLaneAsync(reader));
        }
    }

    /// <summary>Transactions committed, and events in them, since start (for metrics).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    public long EventsWritten => Interlocked.Read(ref _eventsWritten);

    private long _commits;
    private long _eventsWritten;

    /// <summary>Events per group commit.</summary>
    public Histogram CommitSize { get; } = new(Histogram.SizeBounds);

    /// <summary>Seconds per group commit, from taking the connection to the end of the transaction.</summary>
    public Histogram CommitDuration { get; } = new(Histogram.DurationBounds);

    private sealed class AppendRequest(string tenantId, string subscriptionId, IReadOnlyList<IncomingEvent> events, FencingToken fence)
    {
        public string TenantId { get; } = tenantId;

        public string SubscriptionId { get; } = subscriptionId;

        public IReadOnlyList<IncomingEvent> Events { get; } = events;

        public FencingToken Fence { get; } = fence;

        public IngestOutcome[] Outcomes { get; } = new IngestOutcome[events.Count];

        public TaskCompletionSource<IngestOutcome[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The append's span (when traced), ended with its commit.</summary>
        public Activity? Span { get; } = EventLogTracing.StartAppend(events.Count, fence.Partition);

        public void Complete(IngestOutcome[] outcomes)
        {
            Span?.Dispose();
            Done.TrySetResult(outcomes);
        }

        public void Fail(Exception error)
        {
            Span?.SetStatus(ActivityStatusCode.Error, error.Message);
            Span?.Dispose();
            Done.TrySetException(error);
        }
    }

    public Task<IngestOutcome[]> AppendAsync(string tenantId, string subscriptionId, IReadOnlyList<IncomingEvent> events, FencingToken fence)
    {
        var request = new AppendRequest(tenantId, subscriptionId, events, fence);
        if (!_lanes[fence.Partition % _lanes.Length].Writer.TryWrite(request))
        {
            request.Fail(new InvalidOperationException("The event log is closed."));
        }

        return request.Done.Task;
    }

    /// <summary>Which of these idempotency keys the tenant's events already hold (a batch that must be accepted whole asks
    /// before it is written; a key taken meanwhile is still refused by the append).</summary>
    public async Task<IReadOnlySet<string>> TakenKeysAsync(string tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var taken = new HashSet<string>(StringComparer.Ordinal);
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(KeysTakenSql, connection);
        command.AddPositional(tenantId, keys.ToArray());
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            taken.Add(reader.GetString(0));
        }

        return taken;
    }

    public async IAsyncEnumerable<StoredEvent> ReadAsync(string tenantId, string subscriptionId, long afterSeq, DateTimeOffset fromTimestamp, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = _dataSource.CreateCommand(ReadSql);
        command.Parameters.Add(new NpgsqlParameter<string>{ TypedValue = tenantId });
        command.Parameters.Add(new NpgsqlParameter<string>{ TypedValue = subscriptionId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterSeq });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = fromTimestamp.ToUniversalTime() });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new StoredEvent(reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4));
        }
    }

    private async Task RunLaneAsync(ChannelReader<AppendRequest> reader)
    {
        NpgsqlConnection? connection = null;
        var batch = new List<AppendRequest>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            int events = 0;
            while (events < _options.MaxBatchEvents && reader.TryRead(out AppendRequest? request))
            {
                batch.Add(request);
                events += request.Events.Count;
            }

            try
            {
                long start = Stopwatch.GetTimestamp();
                using (EventLogTracing.StartCommit(batch.Select(r => r.Span), events))
                {
                    connection ??= await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
                    await CommitAsync(connection, batch).ConfigureAwait(false);
                }

                CommitDuration.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
                CommitSize.Observe(events);
                Interlocked.Increment(ref _commits);
                Interlocked.Add(ref _eventsWritten, events);
                foreach (AppendRequest request in batch)
                {
                    request.Complete(request.Outcomes);
                }
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Group commit of {Events} events failed", events);
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    connection = null;
                }

                foreach (AppendRequest request in batch)
                {
                    request.Fail(ex);
                }
            }
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task CommitAsync(NpgsqlConnection connection, List<AppendRequest> batch)
    {
        // One row per distinct (tenant, key); a later event with a key already in this batch is settled against the first.
        var rows = new List<(AppendRequest Request, int Index)>();
        var firstByKey = new Dictionary<(string, string), (AppendRequest Request, int Index)>();
        var repeats = new List<(AppendRequest Request, int Index, (AppendRequest Request, int Index) First)>();
        foreach (AppendRequest request in batch)
        {
            for (int i = 0; i < request.Events.Count; i++)
            {
                var key = (request.TenantId, request.Events[i].IdempotencyKey);
                if (firstByKey.TryGetValue(key, out var first))
                {
                    repeats.Add((request, i, first));
                }
                else
                {
                    firstByKey[key] = (request, i);
                    rows.Add((request, i));
                }
            }
        }

        int n = rows.Count;
        var tenants = new string[n];
        var keys = new string[n];
        var ids = new Guid[n];
        var subscriptions = new string[n];
        var subjects = new string[n];
        var types = new string[n];
        var timestamps = new DateTimeOffset[n];
        var received = new DateTimeOffset[n];
        var properties = new string[n];
        var hashes = new byte[n][];
        var metas = new string?[n];
        var partitions = new int[n];
        for (int r = 0; r < n; r++)
        {
            (AppendRequest request, int i) = rows[r];
            IncomingEvent e = request.Events[i];
            tenants[r] = request.TenantId;
            keys[r] = e.IdempotencyKey;
            ids[r] = Guid.CreateVersion7();
            subscriptions[r] = request.SubscriptionId;
            subjects[r] = e.Subject;
            types[r] = e.EventType;
            timestamps[r] = e.Timestamp.ToUniversalTime();
            received[r] = e.ReceivedAt.ToUniversalTime();
            properties[r] = e.PropertiesJson;
            hashes[r] = e.PayloadHash;
            metas[r] = e.MetaJson;
            partitions[r] = request.Fence.Partition;
        }

        var fences = batch.Select(b => b.Fence).Distinct().ToArray();
        var inserted = new Dictionary<(string, string), long>(n);
        await using (var command = new NpgsqlBatch(connection))
        {
            var fence = new NpgsqlBatchCommand(FenceSql);
            fence.Parameters.Add(new NpgsqlParameter<string> { TypedValue = fences[0].SiloId });
            fence.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = fences.Select(f => f.Partition).ToArray() });
            fence.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = fences.Select(f => f.Epoch).ToArray() });
            command.BatchCommands.Add(fence);
            var insert = new NpgsqlBatchCommand(InsertSql);
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tenants });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys });
            insert.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = subscriptions });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = subjects });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = types });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = timestamps });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = received });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = properties });
            insert.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = hashes });
            insert.Parameters.Add(new NpgsqlParameter { Value = metas, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = partitions });
            command.BatchCommands.Add(insert);

            // Without an explicit transaction the whole batch is one implicit transaction: one round trip, all or nothing.
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
            await reader.NextResultAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                inserted[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
            }
        }

        var missing = new List<int>();
        for (int r = 0; r < n; r++)
        {
            (AppendRequest request, int i) = rows[r];
            if (inserted.TryGetValue((tenants[r], keys[r]), out long seq))
            {
                request.Outcomes[i] = new IngestOutcome(IngestStatus.Created, ids[r], seq);
            }
            else
            {
                missing.Add(r);
            }
        }

        var stored = new Dictionary<(string, string), (Guid Id, byte[] Hash)>();
        if (missing.Count > 0)
        {
            // Keys accepted before (by an earlier request, or a racing one on another grain): compare payloads.
            await using NpgsqlCommand existing = new(ExistingSql, connection);
            existing.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = missing.Select(r => tenants[r]).ToArray() });
            existing.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = missing.Select(r => keys[r]).ToArray() });
            await using (NpgsqlDataReader reader = await existing.ExecuteReaderAsync().ConfigureAwait(false))
            {
                while (await reader.ReadAsync().ConfigureAwait(false))
                {
                    stored[(reader.GetString(0), reader.GetString(1))] = (reader.GetGuid(2), reader.GetFieldValue<byte[]>(3));
                }
            }

            foreach (int r in missing)
            {
                (AppendRequest request, int i) = rows[r];
                request.Outcomes[i] = stored.TryGetValue((tenants[r], keys[r]), out var original)
                    ? Settle(hashes[r], original.Id, original.Hash)
                    : IngestOutcome.Failed("The event conflicted with one that is no longer visible; retry.");
            }
        }

        foreach ((AppendRequest request, int i, (AppendRequest Request, int Index) first) in repeats)
        {
            IngestOutcome firstOutcome = first.Request.Outcomes[first.Index];
            // Compare with the stored payload: the first copy's when it was created now, the earlier event's otherwise.
            byte[]? storedHash = firstOutcome.Status == IngestStatus.Created
                ? first.Request.Events[first.Index].PayloadHash
                : stored.TryGetValue((request.TenantId, request.Events[i].IdempotencyKey), out var original) ? original.Hash : null;
            request.Outcomes[i] = firstOutcome.Status == IngestStatus.Failed
                ? firstOutcome
                : Settle(request.Events[i].PayloadHash, firstOutcome.EventId, storedHash);
        }
    }

    private static IngestOutcome Settle(byte[] hash, Guid originalId, byte[]? originalHash)
        => originalHash is not null && hash.AsSpan().SequenceEqual(originalHash)
            ? new IngestOutcome(IngestStatus.Duplicate, originalId, 0)
            : new IngestOutcome(IngestStatus.KeyReused, originalId, 0);

    public async ValueTask DisposeAsync()
    {
        foreach (Channel<AppendRequest> lane in _lanes)
        {
            lane.Writer.TryComplete();
        }

        await Task.WhenAll(_workers).ConfigureAwait(false);
    }
}
