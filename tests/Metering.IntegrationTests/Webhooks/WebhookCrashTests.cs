using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
using Npgsql;
using static Metering.IntegrationTests.Webhooks.WebhookScenario;

namespace Metering.IntegrationTests.Webhooks;

/// <summary>The outbox survives SIGKILL: a notification committed with its change is delivered by the restarted process.</summary>
public sealed class WebhookCrashTests
{
    [Fact]
    public async Task An_invoice_finalized_just_before_a_sigkill_is_notified_after_the_restart_with_the_same_id_and_content()
    {
        string db = await TestDatabase.CreateAsync("whcrash");
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        receiver.Down = true; // Nothing is delivered before the kill.
        var settings = new Dictionary<string, string>
        {
            ["Webhooks__AllowLoopback"] = "true",
            ["Webhooks__PollInterval"] = "00:00:00.05",
            ["Webhooks__Retry__BaseDelay"] = "00:00:00.2",
            ["Webhooks__Retry__Jitter"] = "0",
            ["Webhooks__Breaker__FailureThreshold"] = "1000",
        };

        string invoice;
        GatewayProcess first = await GatewayProcess.StartAsync(db, GatewayProcess.FreePort(), settings);
        await using (first)
        {
            using HttpClient client = first.Client();
            (int registered, JsonElement endpoint) = await client.PostAsync("/v1/webhook-endpoints", new { url = receiver.Url, events = new[] { "invoice.finalized" } });
            Assert.True(registered == 201, endpoint.ToString());
            receiver.Secret = endpoint.Str("secret");
            await SubscriptionAsync(client);
            invoice = await InvoiceAsync(client);
            (int finalized, JsonElement body) = await client.PostAsync($"/v1/invoices/{invoice}/finalize", new { });
            Assert.True(finalized == 200, body.ToString());
            first.Kill();
        }

        receiver.Down = false;
        await using GatewayProcess second = await first.RestartAsync();
        await WebhookFixture.EventuallyAsync(() => receiver.Accepted.Count >= 1, "the notification arrived after the restart");

        IReadOnlyList<ReceivedWebhook> received = receiver.Received;
        ReceivedWebhook delivered = receiver.Accepted[0];
        Assert.Equal("invoice.finalized", delivered.Type);
        Assert.Equal(invoice, delivered.Data.Str("id"));
        Assert.Equal("finalized", delivered.Data.Str("status"));
        Assert.All(received, r =>
        {
            Assert.Equal(delivered.Id, r.Id);
            Assert.Equal(delivered.Body, r.Body);
            Assert.True(r.Verified);
        });
    }

    [Fact]
    public async Task A_threshold_crossed_by_events_committed_just_before_a_sigkill_is_notified_after_the_restart()
    {
        string db = await TestDatabase.CreateAsync("whquota");
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        var settings = new Dictionary<string, string> { ["Webhooks__AllowLoopback"] = "true", ["Webhooks__PollInterval"] = "00:00:00.05" };
        GatewayProcess first = await GatewayProcess.StartAsync(db, GatewayProcess.FreePort(), settings);
        await using (first)
        {
            using HttpClient client = first.Client();
            (int registered, JsonElement endpoint) = await client.PostAsync("/v1/webhook-endpoints", new { url = receiver.Url, events = new[] { "quota.threshold_reached" } });
            Assert.True(registered == 201, endpoint.ToString());
            receiver.Secret = endpoint.Str("secret");
            string subject = await SubscriptionAsync(client);
            Assert.Equal(200, (await client.SendJsonAsync(HttpMethod.Put, "/v1/subscriptions/sub_1/quotas/calls", new { limit = "10", period = "month" })).Status);
            await EventsAsync(client, subject, 4);

            // The crash forced between the commit of the events that cross 50 % and the record of the crossing: the outbox is
            // locked, so the quota's record waits on it; the events' own commit does not touch it and answers 201.
            await using var locker = new NpgsqlConnection(db);
            await locker.OpenAsync();
            await using NpgsqlTransaction hold = await locker.BeginTransactionAsync();
            await new NpgsqlCommand("LOCK TABLE webhook_notifications IN EXCLUSIVE MODE", locker, hold).ExecuteNonQueryAsync();
            await EventsAsync(client, subject, 1);
            await WebhookFixture.EventuallyAsync(async () => await WaitingOnLockAsync(locker) > 0, "the crossing's record waits on the outbox");
            first.Kill();
            await hold.RollbackAsync();
            Assert.Equal(0L, await ScalarAsync(locker, "SELECT count(*) FROM webhook_notifications"));
            // The quota's checkpoint is behind the event that crossed: that is what the next owner looks for.
            Assert.True(await ScalarAsync(locker, "SELECT checked_seq FROM quotas WHERE subscription_id = 'sub_1'") < await ScalarAsync(locker, "SELECT max(seq) FROM events"));
        }

        // The restarted silo claims the partitions and activates the quota behind its checkpoint: the crossing is recorded then.
        await using GatewayProcess second = await first.RestartAsync();
        await WebhookFixture.EventuallyAsync(() => receiver.Accepted.Count >= 1, "the 50 % notification arrived after the restart");
        await Task.Delay(500); // a second one would follow within a few polls
        ReceivedWebhook delivered = Assert.Single(receiver.Received);
        Assert.Equal("quota.threshold_reached", delivered.Type);
        Assert.Equal("50", delivered.Data.Str("threshold"));
        Assert.Equal("5", delivered.Data.Str("used"));
        Assert.True(delivered.Verified);
    }

    private static async Task<long> WaitingOnLockAsync(NpgsqlConnection connection)
        => await ScalarAsync(connection, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()");

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
