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
                    await new GroupCommit(batch).RunAsync(connection).ConfigureAwait(false);
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

    public async ValueTask DisposeAsync()
    {
        foreach (Channel<AppendRequest> lane in _lanes)
        {
            lane.Writer.TryComplete();
        }

        await Task.WhenAll(_workers).ConfigureAwait(false);
    }
}
