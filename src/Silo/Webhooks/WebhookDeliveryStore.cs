using Metering.Grains;
using Metering.Runtime;
using Metering.Silo.Listing;
using Npgsql;

namespace Metering.Silo.Webhooks;

/// <summary>Deliveries and their attempts in PostgreSQL: what the API lists and retries, and what dispatchers claim and record.
/// A dispatcher records an attempt only while its silo still holds the delivery's partition at the epoch it read it under.</summary>
public sealed class WebhookDeliveryStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "d.id, d.endpoint_id, n.id, n.type, d.status, d.failures, d.next_attempt_at, d.created_at, d.delivered_at, n.body";

    private const string ListSql = "SELECT " + Columns + """
         FROM webhook_deliveries d JOIN webhook_notifications n ON n.id = d.notification_id
        WHERE d.tenant_id = $1 AND ($2::text IS NULL OR d.status = $2) AND ($3::uuid IS NULL OR d.endpoint_id = $3)
          AND ($4::text IS NULL OR d.seq < (SELECT seq FROM webhook_deliveries WHERE tenant_id = $1 AND id::text = $4))
        ORDER BY d.seq DESC LIMIT $5
        """;

    private const string GetSql = "SELECT " + Columns + """
         FROM webhook_deliveries d JOIN webhook_notifications n ON n.id = d.notification_id WHERE d.tenant_id = $1 AND d.id = $2
        """;

    private const string AttemptsSql = """
        SELECT delivery_id, n, at, status_code, latency_ms, error FROM webhook_attempts WHERE delivery_id = ANY ($1) ORDER BY delivery_id, n
        """;

    private const string RetrySql = """
        UPDATE webhook_deliveries SET status = 'pending', failures = 0, next_attempt_at = NULL WHERE tenant_id = $1 AND id = $2 AND status = 'failed'
        """;

    // Endpoints whose breaker is open (or probing) within its cool-down are left out here, so that their deliveries do not
    // fill the batch; CircuitBreakerRules still decides for the endpoints read.
    // Due: pending, its time come, and no earlier delivery of the same endpoint and order key waiting for a later retry (so a
    // subscription's notifications reach an endpoint in the order they were written while they are retried).
    private const string DueSql = """
        SELECT d.id, d.partition, d.order_key, d.failures, w.id, w.url, w.updated_at, w.breaker_state, w.consecutive_failures, w.breaker_changed_at, n.body
        FROM webhook_deliveries d
        JOIN webhook_endpoints w ON w.id = d.endpoint_id AND w.enabled
             AND (w.breaker_state = 'closed' OR w.breaker_changed_at IS NULL OR w.breaker_changed_at <= $4)
        JOIN webhook_notifications n ON n.id = d.notification_id
        WHERE d.status = 'pending' AND d.partition = ANY ($1) AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= $2)
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.endpoint_id = d.endpoint_id AND e.order_key = d.order_key
                          AND e.status = 'pending' AND e.seq < d.seq AND e.next_attempt_at > $2)
        ORDER BY d.seq LIMIT $3
        """;

    private const string FenceSql = "SELECT metering_assert_fences($1, $2, $3)";

    /// <summary>The SQLSTATE metering_assert_fences raises when the fence no longer holds.</summary>
    private const string FenceRefused = "MF001";

    private const string InsertAttemptSql = """
        INSERT INTO webhook_attempts (delivery_id, n, at, status_code, latency_ms, error)
        SELECT $1, coalesce(max(n), 0) + 1, $2, $3, $4, $5 FROM webhook_attempts WHERE delivery_id = $1
        """;

    private const string SettleSql = """
        UPDATE webhook_deliveries SET status = $2, failures = $3, next_attempt_at = $4, delivered_at = $5 WHERE id = $1 AND status = 'pending'
        """;

    private const string StatsSql = """
        SELECT (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),
               (SELECT min(created_at) FROM webhook_deliveries WHERE status = 'pending'),
               (SELECT count(*) FROM webhook_deliveries WHERE status = 'failed'),
               (SELECT count(*) FROM webhook_endpoints WHERE breaker_state = 'closed'),
               (SELECT count(*) FROM webhook_endpoints WHERE breaker_state = 'open'),
               (SELECT count(*) FROM webhook_endpoints WHERE breaker_state = 'half_open')
        """;

    /// <summary>A page of a tenant's deliveries, newest first (the dead-letter queue is read from its latest end), filtered by
    /// status and endpoint when given; the cursor is a delivery's id.</summary>
    public async Task<Page<WebhookDelivery>> ListAsync(string tenantId, DeliveryStatus? status, Guid? endpointId, PageRequest page, CancellationToken ct)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(ListSql);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = status is { } s ? s.ToWire() : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)endpointId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)page.After ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = page.Limit + 1 });
        return Page<WebhookDelivery>.From(await ReadAsync(command, ct).ConfigureAwait(false), page.Limit, d => d.Id.ToString());
    }

    public async Task<WebhookDelivery?> GetAsync(string tenantId, Guid id, CancellationToken ct)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(GetSql);
        command.AddPositional(tenantId, id);
        return (await ReadAsync(command, ct).ConfigureAwait(false)).FirstOrDefault();
    }

    /// <summary>Puts a failed delivery back in the queue with a fresh schedule; its endpoint's breaker still decides when it is sent.</summary>
    public async Task<(RetryOutcome Outcome, WebhookDelivery? Delivery)> RetryAsync(string tenantId, Guid id, CancellationToken ct)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(RetrySql);
        command.AddPositional(tenantId, id);
        bool retried = await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        WebhookDelivery? delivery = await GetAsync(tenantId, id, ct).ConfigureAwait(false);
        RetryOutcome outcome = delivery switch
        {
            null => RetryOutcome.NotFound,
            _ when retried => RetryOutcome.Retried,
            { Status: DeliveryStatus.Delivered } => RetryOutcome.Delivered,
            _ => RetryOutcome.AlreadyPending,
        };
        return (outcome, delivery);
    }

    /// <summary>The due deliveries of <paramref name="partitions"/> at <paramref name="now"/>, oldest first.</summary>
    public async Task<IReadOnlyList<DueDelivery>> DueAsync(int[] partitions, DateTimeOffset now, TimeSpan coolDown, int limit, CancellationToken ct)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(DueSql);
        command.AddPositional(partitions, now, limit, now - coolDown);
        var due = new List<DueDelivery>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            due.Add(new DueDelivery(reader.GetGuid(0), reader.GetInt32(1), reader.GetString(2), reader.GetInt32(3), reader.GetGuid(4), reader.GetString(5),
                reader.GetFieldValue<DateTimeOffset>(6), WebhookEndpointStore.ReadBreaker(reader, 7), reader.GetString(10)));
        }

        return due;
    }

    /// <summary>Records an attempt and the delivery's new state, only while <paramref name="fence"/> holds the partition: false
    /// when it does not (another silo owns it now and delivers it), or the delivery is gone or no longer pending.</summary>
    public async Task<bool> RecordAsync(Guid deliveryId, FencingToken fence, WebhookAttempt attempt, DeliveryStatus status, int failures, DateTimeOffset? nextAttemptAt,
        CancellationToken ct)
    {
        await using NpgsqlBatch batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command(FenceSql, fence.SiloId, new[] { fence.Partition }, new[] { fence.Epoch }));
        batch.BatchCommands.Add(Command(InsertAttemptSql, deliveryId, attempt.At, (object?)attempt.StatusCode ?? DBNull.Value, attempt.LatencyMs, (object?)attempt.Error ?? DBNull.Value));
        NpgsqlBatchCommand settle = Command(SettleSql, deliveryId, status.ToWire(), failures, (object?)nextAttemptAt ?? DBNull.Value,
            status == DeliveryStatus.Delivered ? attempt.At : DBNull.Value);
        batch.BatchCommands.Add(settle);
        try
        {
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is FenceRefused or PostgresErrorCodes.ForeignKeyViolation)
        {
            return false;
        }

        return settle.RecordsAffected == 1;
    }

    public async Task<WebhookStats> StatsAsync(CancellationToken ct)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(StatsSql);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return new WebhookStats(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset?>(1), reader.GetInt64(2), new Dictionary<string, long>
        {
            ["closed"] = reader.GetInt64(3),
            ["open"] = reader.GetInt64(4),
            ["half_open"] = reader.GetInt64(5),
        });
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

    private async Task<IReadOnlyList<WebhookDelivery>> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var rows = new List<WebhookDelivery>();
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                rows.Add(new WebhookDelivery(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3), WireName.ParseWire<DeliveryStatus>(reader.GetString(4)),
                    reader.GetInt32(5), reader.GetFieldValue<DateTimeOffset?>(6), reader.GetFieldValue<DateTimeOffset>(7), reader.GetFieldValue<DateTimeOffset?>(8),
                    reader.GetString(9), []));
            }
        }

        if (rows.Count == 0)
        {
            return rows;
        }

        await using NpgsqlCommand attempts = dataSource.CreateCommand(AttemptsSql);
        attempts.AddPositional(rows.Select(r => r.Id).ToArray());
        var byDelivery = new Dictionary<Guid, List<WebhookAttempt>>();
        await using (NpgsqlDataReader reader = await attempts.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                Guid id = reader.GetGuid(0);
                if (!byDelivery.TryGetValue(id, out List<WebhookAttempt>? list))
                {
                    byDelivery[id] = list = [];
                }

                list.Add(new WebhookAttempt(reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<int?>(3), reader.GetDouble(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5)));
            }
        }

        return [.. rows.Select(r => byDelivery.TryGetValue(r.Id, out List<WebhookAttempt>? list) ? r with { Attempts = list } : r)];
    }
}
