using System.Net.Http.Json;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests.Webhooks;

/// <summary>What the webhook tests make happen through the API: a subscription that started at the start of last month (so
/// it has an ended period and a current one), invoices, events, and reads of deliveries.</summary>
internal static class WebhookScenario
{
    public static readonly object CallsMeter = new { code = "calls", event_type = "api_call", aggregation = "count" };

    public static DateTimeOffset LastMonth
    {
        get
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            return new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(-1);
        }
    }

    public static string Iso(DateTimeOffset time) => time.ToString("yyyy-MM-ddTHH:mm:ssZ");

    /// <summary>A subscription sub_1 (started last month) with the count meter calls; returns its subject.</summary>
    public static Task<string> SubscriptionAsync(HttpClient client, string id = "sub_1") => client.SetUpSubscriptionAsync(id, CallsMeter, Iso(LastMonth));

    /// <summary>A draft invoice of the subscription's period starting at <paramref name="periodStart"/> (last month by default).</summary>
    public static async Task<string> InvoiceAsync(HttpClient client, string subscription = "sub_1", DateTimeOffset? periodStart = null)
    {
        (int status, JsonElement body) = await client.PostAsync("/v1/invoices", new { subscription_id = subscription, period_start = Iso(periodStart ?? LastMonth) });
        Assert.True(status == 201, body.ToString());
        return body.Str("id");
    }

    public static async Task EventsAsync(HttpClient client, string subject, int count)
    {
        for (int i = 0; i < count; i++)
        {
            (int status, JsonElement body) = await client.PostAsync("/v1/events", new { idempotency_key = "k-" + Guid.NewGuid(), subject, event_type = "api_call", properties = new { } });
            Assert.True(status == 201, body.ToString());
        }
    }

    public static async Task QuotaAsync(HttpClient client, object definition, string subscription = "sub_1", string meter = "calls")
    {
        HttpResponseMessage response = await client.PutAsJsonAsync($"/v1/subscriptions/{subscription}/quotas/{meter}", definition);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<JsonElement[]> DeliveriesAsync(HttpClient client, string query = "")
    {
        (int status, JsonElement body) = await client.GetJsonAsync("/v1/webhook-deliveries" + query);
        Assert.True(status == 200, body.ToString());
        return [.. body.GetProperty("data").EnumerateArray()];
    }

    public static async Task<JsonElement> DeliveryAsync(HttpClient client, string id)
    {
        (int status, JsonElement body) = await client.GetJsonAsync("/v1/webhook-deliveries/" + id);
        Assert.True(status == 200, body.ToString());
        return body;
    }

    public static async Task<JsonElement> EndpointAsync(HttpClient client, string id)
    {
        (int status, JsonElement body) = await client.GetJsonAsync("/v1/webhook-endpoints/" + id);
        Assert.True(status == 200, body.ToString());
        return body;
    }

    public static int Attempts(this JsonElement delivery) => delivery.GetProperty("attempts").GetArrayLength();
}
