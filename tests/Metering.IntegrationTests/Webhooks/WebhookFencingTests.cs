using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
using Metering.Runtime;
using Metering.Silo.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using static Metering.IntegrationTests.Webhooks.WebhookScenario;

namespace Metering.IntegrationTests.Webhooks;

/// <summary>A delivery is recorded only under its partition's current fence: a silo deposed from the partition (an older
/// epoch, or another silo) records nothing, and the delivery stays pending for the owner.</summary>
[Collection(WebhookCollection.Name)]
public sealed class WebhookFencingTests(WebhookFixture fixture)
{
    [Fact]
    public async Task An_attempt_under_a_stale_fence_is_not_recorded_and_the_owner_still_delivers()
    {
        HttpClient client = await fixture.NewTenantAsync();
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        await fixture.RegisterAsync(client, receiver, "invoice.created");
        await SubscriptionAsync(client);
        receiver.Down = true;
        await InvoiceAsync(client);
        await WebhookFixture.EventuallyAsync(async () => Assert.Single(await DeliveriesAsync(client)).Attempts() == 1, "the first attempt is recorded");
        JsonElement delivery = Assert.Single(await DeliveriesAsync(client));
        var id = Guid.Parse(delivery.Str("id"));

        PartitionTable partitions = fixture.Services.GetRequiredService<PartitionTable>();
        WebhookDeliveryStore store = fixture.Services.GetRequiredService<WebhookDeliveryStore>();
        await using Npgsql.NpgsqlCommand read = fixture.Services.GetRequiredService<Npgsql.NpgsqlDataSource>().CreateCommand("SELECT partition FROM webhook_deliveries WHERE id = $1");
        read.Parameters.Add(new Npgsql.NpgsqlParameter { Value = id });
        int partition = (int)(await read.ExecuteScalarAsync())!;
        Assert.True(partitions.IsOwned(partition));
        FencingToken current = partitions.GetFence(partition);
        var attempt = new WebhookAttempt(0, fixture.Clock.GetUtcNow(), 200, 1, null);
        Assert.False(await store.RecordAsync(id, current with { Epoch = current.Epoch - 1 }, attempt, DeliveryStatus.Delivered, 1, null, CancellationToken.None));
        Assert.False(await store.RecordAsync(id, current with { SiloId = "deposed" }, attempt, DeliveryStatus.Delivered, 1, null, CancellationToken.None));
        JsonElement after = await DeliveryAsync(client, id.ToString());
        Assert.Equal(("pending", 1), (after.Str("status"), after.Attempts()));

        receiver.Down = false;
        fixture.Clock.Advance(WebhookFixture.BaseDelay);
        await WebhookFixture.EventuallyAsync(async () => (await DeliveryAsync(client, id.ToString())).Str("status") == "delivered", "the owner delivered it");
        Assert.Equal(2, (await DeliveryAsync(client, id.ToString())).Attempts());
    }
}
