using System.Globalization;
using System.Text.Json;
using Metering.Grains.Webhooks;
using Metering.IntegrationTests.Infrastructure;
using static Metering.IntegrationTests.Webhooks.WebhookScenario;

namespace Metering.IntegrationTests.Webhooks;

/// <summary>Endpoints through the API: the secret shown once, list, update and disable, rotate, delete; bodies checked; URLs
/// on private networks refused; and one tenant's endpoints and deliveries invisible to another.</summary>
[Collection(WebhookCollection.Name)]
public sealed class WebhookEndpointTests(WebhookFixture fixture)
{
    [Fact]
    public async Task An_endpoint_is_registered_with_a_secret_shown_once_then_listed_updated_rotated_and_deleted()
    {
        HttpClient client = await fixture.NewTenantAsync();
        (int status, JsonElement created) = await client.PostAsync("/v1/webhook-endpoints",
            new { url = "http://127.0.0.1:9/hooks", events = new[] { "invoice.created", "invoice.created", "quota.exhausted" }, description = "billing" });
        Assert.Equal(201, status);
        string secret = created.Str("secret");
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        JsonElement endpoint = created.GetProperty("endpoint");
        string id = endpoint.Str("id");
        Assert.Equal(["invoice.created", "quota.exhausted"], endpoint.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("billing", endpoint.Str("description"));
        Assert.True(endpoint.GetProperty("enabled").GetBoolean());
        Assert.Equal("closed", endpoint.GetProperty("breaker").Str("state"));

        (_, JsonElement list) = await client.GetJsonAsync("/v1/webhook-endpoints");
        JsonElement listed = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal(id, listed.Str("id"));
        Assert.DoesNotContain(secret, list.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, (await EndpointAsync(client, id)).ToString(), StringComparison.Ordinal);

        (int patched, JsonElement updated, _) = await client.SendJsonAsync(HttpMethod.Patch, $"/v1/webhook-endpoints/{id}",
            new { events = new[] { "billing_run.completed" }, enabled = false });
        Assert.Equal(200, patched);
        Assert.Equal(["billing_run.completed"], updated.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.False(updated.GetProperty("enabled").GetBoolean());
        Assert.Equal("billing", updated.Str("description"));
        Assert.Equal("http://127.0.0.1:9/hooks", updated.Str("url"));

        (int rotated, JsonElement rotation) = await client.PostAsync($"/v1/webhook-endpoints/{id}/rotate-secret", new { });
        Assert.Equal(200, rotated);
        Assert.StartsWith("whsec_", rotation.Str("secret"), StringComparison.Ordinal);
        Assert.NotEqual(secret, rotation.Str("secret"));

        Assert.Equal(204, (int)(await client.DeleteAsync($"/v1/webhook-endpoints/{id}")).StatusCode);
        Assert.Equal(404, (await client.GetJsonAsync($"/v1/webhook-endpoints/{id}")).Status);
        Assert.Equal(404, (int)(await client.DeleteAsync($"/v1/webhook-endpoints/{id}")).StatusCode);
        Assert.Equal(404, (await client.PostAsync($"/v1/webhook-endpoints/{id}/rotate-secret", new { })).Status);
        Assert.Equal(404, (await client.SendJsonAsync(HttpMethod.Patch, $"/v1/webhook-endpoints/{id}", new { enabled = true })).Status);
        Assert.Equal(404, (await client.GetJsonAsync("/v1/webhook-endpoints/not-a-guid")).Status);
    }

    [Fact]
    public async Task A_rotated_secret_signs_next_to_the_new_one_until_its_grace_ends()
    {
        HttpClient client = await fixture.NewTenantAsync();
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        string id = await fixture.RegisterAsync(client, receiver, "invoice.created", "invoice.finalized");
        await SubscriptionAsync(client);
        string old = receiver.Secret!;
        DateTimeOffset rotatedAt = fixture.Clock.GetUtcNow();
        (int status, JsonElement rotation) = await client.PostAsync($"/v1/webhook-endpoints/{id}/rotate-secret", new { });
        Assert.True(status == 200, rotation.ToString());
        string secret = rotation.Str("secret");
        Assert.NotEqual(old, secret);
        Assert.Equal(rotatedAt.AddHours(24), DateTimeOffset.Parse(rotation.Str("previous_secret_expires_at"), CultureInfo.InvariantCulture));

        // During the grace a receiver that still knows only the old secret verifies the delivery, and so does one that knows the new.
        string invoice = await InvoiceAsync(client);
        await WebhookFixture.EventuallyAsync(() => receiver.Accepted.Count == 1, "the notification arrived");
        Assert.True(receiver.Accepted[0].Verified);
        Assert.True(Verifies(secret, receiver.Accepted[0]));

        // After it, only the new secret signs.
        fixture.Clock.Advance(TimeSpan.FromHours(24));
        Assert.Equal(200, (await client.PostAsync($"/v1/invoices/{invoice}/finalize", new { })).Status);
        await WebhookFixture.EventuallyAsync(() => receiver.Accepted.Count == 2, "the second notification arrived");
        Assert.False(receiver.Accepted[1].Verified);
        Assert.True(Verifies(secret, receiver.Accepted[1]));
        Assert.Equal(2, receiver.Accepted[1].Signature.Split(',').Length);

        // A rotation with no grace stops the old secret at once; a grace is whole seconds up to 7 days.
        (_, JsonElement immediate) = await client.PostAsync($"/v1/webhook-endpoints/{id}/rotate-secret?expires_in=0", new { });
        Assert.Equal(JsonValueKind.Null, immediate.GetProperty("previous_secret_expires_at").ValueKind);
        foreach (string bad in new[] { "-1", "abc", "604801", "1.5" })
        {
            (int refused, JsonElement problem) = await client.PostAsync($"/v1/webhook-endpoints/{id}/rotate-secret?expires_in={bad}", new { });
            Assert.True(refused == 400, $"{bad}: {refused} {problem}");
            Assert.Equal("INVALID_REQUEST", problem.Code());
        }
    }

    private bool Verifies(string secret, ReceivedWebhook received)
        => WebhookSignature.Verify(System.Text.Encoding.UTF8.GetBytes(secret), received.Signature, received.Body, fixture.Clock.GetUtcNow(), TimeSpan.FromMinutes(5));

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { """{"events":["invoice.created"]}""", "url", "INVALID_REQUEST" },
        { """{"url":"http://127.0.0.1:9/"}""", "events", "INVALID_REQUEST" },
        { """{"url":"http://127.0.0.1:9/","events":[]}""", "events", "INVALID_REQUEST" },
        { """{"url":"http://127.0.0.1:9/","events":["invoice.paid"]}""", "events", "INVALID_REQUEST" },
        { """{"url":"http://127.0.0.1:9/","events":"invoice.created"}""", "events", "INVALID_REQUEST" },
        { """{"url":"ftp://127.0.0.1/","events":["invoice.created"]}""", "url", "WEBHOOK_URL_REFUSED" },
        { """{"url":"not a url","events":["invoice.created"]}""", "url", "WEBHOOK_URL_REFUSED" },
        { """{"url":"http://user:pw@127.0.0.1:9/","events":["invoice.created"]}""", "url", "WEBHOOK_URL_REFUSED" },
        { """{"url":"http://10.1.2.3/hooks","events":["invoice.created"]}""", "url", "WEBHOOK_URL_REFUSED" },
        { """{"url":"https://192.168.0.10/hooks","events":["invoice.created"]}""", "url", "WEBHOOK_URL_REFUSED" },
        { """{"url":"http://172.20.0.1/hooks","events":["invoice.created"]}""", "url", "WEBHOOK_URL_REFUSED" },
        { """{"url":"http://169.254.169.254/latest/meta-data","events":["invoice.created"]}""", "url", "WEBHOOK_URL_REFUSED" },
        { """{"url":"http://[fd00::1]/hooks","events":["invoice.created"]}""", "url", "WEBHOOK_URL_REFUSED" },
        { """{"url":"http://[::ffff:10.0.0.1]/hooks","events":["invoice.created"]}""", "url", "WEBHOOK_URL_REFUSED" },
        { """{"url":"http://0.0.0.0/hooks","events":["invoice.created"]}""", "url", "WEBHOOK_URL_REFUSED" },
        { """{"url":"http://does-not-resolve.invalid/hooks","events":["invoice.created"]}""", "url", "WEBHOOK_URL_REFUSED" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_body_or_a_url_on_a_private_network_is_refused_and_nothing_is_registered(string json, string field, string code)
    {
        HttpClient client = await fixture.NewTenantAsync();
        (int status, JsonElement problem) = await client.PostRawAsync("/v1/webhook-endpoints", json);
        Assert.Equal(code == "INVALID_REQUEST" ? 400 : 422, status);
        Assert.Equal(code, problem.Code());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        (_, JsonElement list) = await client.GetJsonAsync("/v1/webhook-endpoints");
        Assert.Empty(list.GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task An_update_is_checked_as_a_creation_and_changes_nothing_when_refused()
    {
        HttpClient client = await fixture.NewTenantAsync();
        (_, JsonElement created) = await client.PostAsync("/v1/webhook-endpoints", new { url = "http://127.0.0.1:9/hooks", events = new[] { "invoice.created" } });
        string id = created.GetProperty("endpoint").Str("id");
        Assert.Equal((422, "WEBHOOK_URL_REFUSED"), await PatchAsync(client, id, new { url = "http://10.0.0.7/" }));
        Assert.Equal((400, "INVALID_REQUEST"), await PatchAsync(client, id, new { enabled = "no" }));
        Assert.Equal((400, "INVALID_REQUEST"), await PatchAsync(client, id, new { events = new[] { "nope" } }));
        JsonElement endpoint = await EndpointAsync(client, id);
        Assert.Equal("http://127.0.0.1:9/hooks", endpoint.Str("url"));
        Assert.True(endpoint.GetProperty("enabled").GetBoolean());
    }

    [Theory]
    [InlineData("?status=lost", "status")]
    [InlineData("?endpoint_id=nope", "endpoint_id")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=1001", "limit")]
    [InlineData("?limit=ten", "limit")]
    public async Task A_bad_delivery_query_is_refused(string query, string field)
    {
        HttpClient client = await fixture.NewTenantAsync();
        (int status, JsonElement problem) = await client.GetJsonAsync("/v1/webhook-deliveries" + query);
        Assert.Equal((400, "INVALID_REQUEST"), (status, problem.Code()));
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task A_tenants_endpoint_never_receives_another_tenants_notifications_nor_sees_its_deliveries()
    {
        HttpClient a = await fixture.NewTenantAsync();
        HttpClient b = await fixture.NewTenantAsync();
        await using WebhookReceiver receiverA = await WebhookReceiver.StartAsync();
        await using WebhookReceiver receiverB = await WebhookReceiver.StartAsync();
        string endpointA = await fixture.RegisterAsync(a, receiverA, "invoice.created");
        string endpointB = await fixture.RegisterAsync(b, receiverB, "invoice.created");
        await SubscriptionAsync(a);
        await SubscriptionAsync(b);
        string invoiceA = await InvoiceAsync(a);
        string invoiceB = await InvoiceAsync(b);
        await WebhookFixture.EventuallyAsync(() => receiverA.Accepted.Count == 1 && receiverB.Accepted.Count == 1, "each tenant's notification arrived");
        await fixture.RoundsAsync();

        Assert.Equal(invoiceA, Assert.Single(receiverA.Received).Data.Str("id"));
        Assert.Equal(invoiceB, Assert.Single(receiverB.Received).Data.Str("id"));
        string deliveryB = Assert.Single(await DeliveriesAsync(b)).Str("id");
        JsonElement[] listedA = await DeliveriesAsync(a);
        Assert.Equal(endpointA, Assert.Single(listedA).Str("endpoint_id"));
        Assert.Empty(await DeliveriesAsync(a, $"?endpoint_id={endpointB}"));
        Assert.Equal(404, (await a.GetJsonAsync($"/v1/webhook-deliveries/{deliveryB}")).Status);
        Assert.Equal(404, (await a.PostAsync($"/v1/webhook-deliveries/{deliveryB}/retry", new { })).Status);
        Assert.Equal(404, (await a.GetJsonAsync($"/v1/webhook-endpoints/{endpointB}")).Status);
        Assert.Equal(404, (await a.SendJsonAsync(HttpMethod.Patch, $"/v1/webhook-endpoints/{endpointB}", new { enabled = false })).Status);
        Assert.Equal(404, (await a.PostAsync($"/v1/webhook-endpoints/{endpointB}/rotate-secret", new { })).Status);
        Assert.Equal(404, (int)(await a.DeleteAsync($"/v1/webhook-endpoints/{endpointB}")).StatusCode);
        Assert.True((await EndpointAsync(b, endpointB)).GetProperty("enabled").GetBoolean());
    }

    private static async Task<(int, string)> PatchAsync(HttpClient client, string id, object body)
    {
        (int status, JsonElement problem, _) = await client.SendJsonAsync(HttpMethod.Patch, $"/v1/webhook-endpoints/{id}", body);
        return (status, problem.Code());
    }
}
