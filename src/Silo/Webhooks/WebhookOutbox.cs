using System.Text;
using System.Text.Json;
using Metering.Grains.Subscriptions;
using Metering.Grains.Webhooks;
using Metering.Runtime;
using Npgsql;

namespace Metering.Silo.Webhooks;

/// <summary>The transactional outbox: callers write a notification with <see cref="WriteAsync"/> inside the transaction of
/// the change that causes it, so it commits with the change or not at all. The same statement fans it out to a pending
/// delivery per enabled endpoint of the tenant that subscribes to its type.</summary>
public sealed class WebhookOutbox(IResourceJson resources, PartitionTable partitions, TimeProvider time)
{
    private const string InsertSql = """
        WITH n AS (
            INSERT INTO webhook_notifications (id, tenant_id, type, created_at, body, dedupe_key)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
            RETURNING id, tenant_id, type, created_at)
        INSERT INTO webhook_deliveries (id, tenant_id, notification_id, endpoint_id, partition, order_key, created_at)
        SELECT gen_random_uuid(), n.tenant_id, n.id, w.id, $7, $8, n.created_at
        FROM n JOIN webhook_endpoints w ON w.tenant_id = n.tenant_id AND w.enabled AND n.type = ANY (w.events)
        """;

    /// <summary>Raised after a notification was written (its transaction may still roll back): wakes the dispatcher.</summary>
    public event Action? Written;

    public IResourceJson Resources => resources;

    /// <summary>A notification about a subscription's resource: ordered with the subscription's others, delivered by the
    /// owner of the subscription's partition.</summary>
    public OutboxNotification ForSubscription(string tenantId, string subscriptionId, NotificationType type, string dataJson, string? dedupeKey = null)
        => Create(tenantId, SubscriptionKey.Of(tenantId, subscriptionId), type, dataJson, dedupeKey);

    /// <summary>A notification about a tenant-wide job (billing runs, re-rating): ordered with the tenant's others.</summary>
    public OutboxNotification ForTenant(string tenantId, NotificationType type, string dataJson)
        => Create(tenantId, tenantId, type, dataJson, null);

    private OutboxNotification Create(string tenantId, string orderKey, NotificationType type, string dataJson, string? dedupeKey)
    {
        var id = Guid.CreateVersion7();
        DateTimeOffset at = time.GetUtcNow();
        return new OutboxNotification(id, tenantId, type, at, Envelope(id, type, at, dataJson), partitions.PartitionOf(orderKey), orderKey, dedupeKey);
    }

    /// <summary>The payload: <c>{"id","type","created_at","data"}</c>, with the data as the API shows the resource.</summary>
    public static string Envelope(Guid id, NotificationType type, DateTimeOffset createdAt, string dataJson)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("id", "evt_" + id.ToString("N"));
            writer.WriteString("type", NotificationTypes.Name(type));
            writer.WriteString("created_at", createdAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture));
            writer.WritePropertyName("data");
            writer.WriteRawValue(dataJson);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes the notification in <paramref name="transaction"/>; returns the deliveries it made (0 when no endpoint
    /// subscribes, or when its dedupe key was written before).</summary>
    public async Task<int> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, OutboxNotification notification, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(InsertSql, connection, transaction);
        command.AddPositional(notification.Id, notification.TenantId, NotificationTypes.Name(notification.Type), notification.CreatedAt, notification.Body,
            (object?)notification.DedupeKey ?? DBNull.Value, notification.Partition, notification.OrderKey);
        int deliveries = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        Written?.Invoke();
        return deliveries;
    }
}
