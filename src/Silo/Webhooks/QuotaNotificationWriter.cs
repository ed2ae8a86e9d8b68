using System.Globalization;
using System.Text.Json.Nodes;
using Metering.Grains.Quotas;
using Metering.Grains.Webhooks;
using Metering.Silo.Quotas;
using Npgsql;

namespace Metering.Silo.Webhooks;

/// <summary>Writes a quota's crossings to the outbox, all in one transaction, each with a key of its quota window
/// (subscription, meter, window start and cut, type, threshold), so it is sent once per window however often the quota
/// grain records it, and the quota's checkpoint (<c>quotas.checked_seq</c>) in the same transaction. The data is the quota as
/// the API shows it, with the <c>threshold</c> reached.</summary>
public sealed class QuotaNotificationWriter(NpgsqlDataSource dataSource, WebhookOutbox outbox) : IQuotaNotifications
{
    public async Task RecordAsync(QuotaNotice notice, CancellationToken cancellationToken = default)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        string quota = outbox.Resources.Quota(notice.SubscriptionId, notice.View);
        foreach (QuotaCrossing crossing in notice.Crossings)
        {
            string threshold = crossing.Threshold.ToString(CultureInfo.InvariantCulture);
            JsonObject data = JsonNode.Parse(quota)!.AsObject();
            data["threshold"] = threshold;
            string key = string.Join('|', "quota", notice.SubscriptionId, notice.View.Meter, notice.Epoch.Start.ToUnixTimeMilliseconds(), notice.Epoch.AfterSeq,
                NotificationTypes.Name(crossing.Type), threshold);
            OutboxNotification notification = outbox.ForSubscription(notice.TenantId, notice.SubscriptionId, crossing.Type, data.ToJsonString(), key);
            await outbox.WriteAsync(connection, transaction, notification, cancellationToken).ConfigureAwait(false);
        }

        await using (var checkpoint = new NpgsqlCommand(PostgresQuotaStore.MarkCheckedSql, connection, transaction))
        {
            checkpoint.AddPositional(notice.TenantId, notice.SubscriptionId, notice.View.Meter, notice.Seq);
            await checkpoint.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
