using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
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
}
