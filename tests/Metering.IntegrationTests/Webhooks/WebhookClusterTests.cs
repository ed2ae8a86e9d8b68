using System.Globalization;
using System.Text.RegularExpressions;
using Metering.IntegrationTests.Infrastructure;
using static Metering.IntegrationTests.Webhooks.WebhookScenario;

namespace Metering.IntegrationTests.Webhooks;

/// <summary>On a cluster, each subscription's notifications are delivered by the silo that owns its partition, once.</summary>
public sealed partial class WebhookClusterTests
{
    [Fact]
    public async Task Each_silo_delivers_the_notifications_of_the_partitions_it_owns_once()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        await using SiloCluster cluster = await SiloCluster.StartAsync(2, new Dictionary<string, string>
        {
            ["Webhooks__AllowLoopback"] = "true",
            ["Webhooks__PollInterval"] = "00:00:00.05",
        });
        (string tenant, HttpClient[] clients) = await cluster.NewTenantAsync();
        HttpClient client = clients[0];
        (int registered, System.Text.Json.JsonElement endpoint) = await client.PostAsync("/v1/webhook-endpoints", new { url = receiver.Url, events = new[] { "invoice.created" } });
        Assert.True(registered == 201, endpoint.ToString());
        receiver.Secret = endpoint.Str("secret");

        // Subscriptions until each silo owns at least two of them.
        var owned = new Dictionary<Uri, List<string>>();
        for (int i = 0; owned.Count < 2 || owned.Values.Any(s => s.Count < 2); i++)
        {
            Assert.True(i < 40, "40 subscriptions all fell on one silo");
            string id = $"sub_{i}";
            await SubscriptionAsync(client, id);
            GatewayProcess owner = await cluster.OwnerOfAsync(tenant, id);
            (owned.TryGetValue(owner.Address, out List<string>? list) ? list : owned[owner.Address] = []).Add(id);
        }

        string[] subscriptions = [.. owned.Values.SelectMany(s => s)];
        foreach (string id in subscriptions)
        {
            await InvoiceAsync(clients[Array.IndexOf(subscriptions, id) % clients.Length], id);
        }

        await WebhookFixture.EventuallyAsync(() => receiver.Accepted.Count >= subscriptions.Length, "every notification arrived");
        await Task.Delay(500); // a duplicate would follow within a few polls
        Assert.Equal(subscriptions.Length, receiver.Received.Count);
        Assert.Equal(subscriptions.Order(), receiver.Received.Select(r => r.Data.Str("subscription_id")).Order());
        Assert.All(receiver.Received, r => Assert.True(r.Verified));
        foreach (GatewayProcess silo in cluster.Silos)
        {
            using var anonymous = new HttpClient { BaseAddress = silo.Address };
            Match delivered = Delivered().Match(await anonymous.GetStringAsync("/metrics"));
            Assert.Equal(owned[silo.Address].Count, int.Parse(delivered.Groups[1].Value, CultureInfo.InvariantCulture));
        }
    }

    [GeneratedRegex("metering_webhook_deliveries_total\\{outcome=\"delivered\"\\} (\\d+)")]
    private static partial Regex Delivered();
}
