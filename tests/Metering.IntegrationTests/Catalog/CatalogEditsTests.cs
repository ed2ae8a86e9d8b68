using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests.Catalog;

/// <summary>Customers and meters edited, deleted and archived, each change audited with the resource before and after.</summary>
[Collection(AppCollection.Name)]
public sealed class CatalogEditsTests(AppFixture app)
{
    private static async Task<JsonElement> AuditedAsync(HttpClient client, string action)
        => Assert.Single((await client.GetJsonAsync($"/v1/audit-events?action={action}")).Body.GetProperty("data").EnumerateArray()).GetProperty("details");

    [Fact]
    public async Task A_customer_is_updated_and_the_audit_keeps_before_and_after()
    {
        using HttpClient client = await app.NewTenantAsync();
        await client.PostAsync("/v1/customers", new { id = "c1", name = "Acme", currency = "USD", tax_rate = "0.20" });
        (int status, JsonElement body) = await client.SendJsonAsync(HttpMethod.Patch, "/v1/customers/c1",
            new { name = "Acme Inc", email = "billing@acme.test", tax_rate = "0.1", metadata = new { crm = "42", tier = "gold" } }) is var r ? (r.Status, r.Body) : default;
        Assert.True(status == 200, body.ToString());
        Assert.Equal("Acme Inc", body.Str("name"));
        Assert.Equal("billing@acme.test", body.Str("email"));
        Assert.Equal("0.1", body.Str("tax_rate"));
        Assert.Equal("gold", body.GetProperty("metadata").Str("tier"));

        // Metadata merges key by key; null removes a key (and the email).
        (_, JsonElement again, _) = await client.SendJsonAsync(HttpMethod.Patch, "/v1/customers/c1", new { email = (string?)null, metadata = new { tier = (string?)null, region = "eu" } });
        Assert.Equal(JsonValueKind.Null, again.GetProperty("email").ValueKind);
        Assert.Equal("""{"crm":"42","region":"eu"}""", again.GetProperty("metadata").GetRawText());
        Assert.Equal("Acme Inc", (await client.GetJsonAsync("/v1/customers/c1")).Body.Str("name"));

        JsonElement[] audited = (await client.GetJsonAsync("/v1/audit-events?action=customer.updated")).Body.GetProperty("data").EnumerateArray().ToArray();
        Assert.Equal(2, audited.Length);
        JsonElement first = audited[1].GetProperty("details");
        Assert.Equal("Acme", first.GetProperty("before").Str("name"));
        Assert.Equal("0.2", first.GetProperty("before").Str("tax_rate"));
        Assert.Equal("Acme Inc", first.GetProperty("after").Str("name"));
        Assert.Equal("c1", audited[1].Str("subject"));

        Assert.Equal(404, (await client.SendJsonAsync(HttpMethod.Patch, "/v1/customers/nobody", new { name = "x" })).Status);
        foreach (object bad in new object[] { new { currency = "usd" }, new { tax_rate = "2" }, new { metadata = "x" }, new { email = "no-at" }, new { name = 5 } })
        {
            (int refused, JsonElement problem, _) = await client.SendJsonAsync(HttpMethod.Patch, "/v1/customers/c1", bad);
            Assert.True(refused == 400, problem.ToString());
            Assert.Equal("INVALID_REQUEST", problem.Code());
        }
    }

    [Fact]
    public async Task Currency_changes_only_while_nothing_is_invoiced_and_a_new_tax_rate_applies_from_the_next_invoice()
    {
        using HttpClient client = await app.NewTenantAsync();
        await client.PostAsync("/v1/customers", new { id = "cust_1", currency = "EUR", tax_rate = "0.20" });
        Assert.Equal("USD", (await client.SendJsonAsync(HttpMethod.Patch, "/v1/customers/cust_1", new { currency = "USD" })).Body.Str("currency"));
        await client.PostAsync("/v1/plans", new { code = "daily", currency = "USD", interval = "day", fixed_fee = "10" });
        DateTimeOffset start = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero).AddDays(-2);
        await client.PostAsync("/v1/subscriptions", new { id = "s", customer_id = "cust_1", plan = "daily", started_at = start.ToString("O"), subjects = new[] { "x" } });
        (_, JsonElement first) = await client.PostAsync("/v1/invoices", new { subscription_id = "s", period_start = start.ToString("O") });
        Assert.Equal("2.00", first.Str("tax"));

        (int status, JsonElement problem, _) = await client.SendJsonAsync(HttpMethod.Patch, "/v1/customers/cust_1", new { currency = "EUR" });
        Assert.Equal(409, status);
        Assert.Equal("CURRENCY_LOCKED", problem.Code());
        Assert.Equal("USD", (await client.GetJsonAsync("/v1/customers/cust_1")).Body.Str("currency"));

        Assert.Equal(200, (await client.SendJsonAsync(HttpMethod.Patch, "/v1/customers/cust_1", new { tax_rate = "0.05", currency = "USD" })).Status);
        (_, JsonElement refreshed) = await client.PostAsync($"/v1/invoices/{first.Str("id")}/refresh", new { });
        Assert.Equal("0.2", refreshed.Str("tax_rate"));
        Assert.Equal("2.00", refreshed.Str("tax"));
        (_, JsonElement next) = await client.PostAsync("/v1/invoices", new { subscription_id = "s", period_start = start.AddDays(1).ToString("O") });
        Assert.Equal("0.05", next.Str("tax_rate"));
        Assert.Equal("0.50", next.Str("tax"));
    }

    [Fact]
    public async Task A_customer_with_subscriptions_is_not_deleted_one_without_is()
    {
        using HttpClient client = await app.NewTenantAsync();
        await client.SetUpSubscriptionAsync("sub_1");
        (int status, JsonElement problem, _) = await client.SendJsonAsync(HttpMethod.Delete, "/v1/customers/cust_1");
        Assert.Equal(409, status);
        Assert.Equal("CUSTOMER_HAS_SUBSCRIPTIONS", problem.Code());
        Assert.Equal(200, (await client.GetJsonAsync("/v1/customers/cust_1")).Status);

        await client.PostAsync("/v1/customers", new { id = "lonely", name = "L", currency = "USD" });
        Assert.Equal(200, (await client.SendJsonAsync(HttpMethod.Delete, "/v1/customers/lonely")).Status);
        Assert.Equal(404, (await client.GetJsonAsync("/v1/customers/lonely")).Status);
        Assert.Equal(404, (await client.SendJsonAsync(HttpMethod.Delete, "/v1/customers/lonely")).Status);
        JsonElement deleted = await AuditedAsync(client, "customer.deleted");
        Assert.Equal("L", deleted.GetProperty("before").Str("name"));
        Assert.Equal(JsonValueKind.Null, deleted.GetProperty("after").ValueKind);
        Assert.Equal(["cust_1"], (await client.GetJsonAsync("/v1/customers")).Body.GetProperty("data").EnumerateArray().Select(c => c.Str("id")));
    }

    [Fact]
    public async Task A_meter_is_renamed_any_time_but_recounting_changes_are_refused_once_events_exist()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", new { code = "tokens", event_type = "llm", aggregation = "count" });
        (int status, JsonElement meter, _) = await client.SendJsonAsync(HttpMethod.Patch, "/v1/meters/tokens", new { name = "LLM tokens", description = "Tokens per call", aggregation = "sum", value_property = "tokens" });
        Assert.True(status == 200, meter.ToString());
        Assert.Equal("sum", meter.Str("aggregation"));
        Assert.Equal("LLM tokens", meter.Str("name"));
        Assert.Equal(400, (await client.SendJsonAsync(HttpMethod.Patch, "/v1/meters/tokens", new { aggregation = "max", value_property = "x y" })).Status);
        Assert.Equal(400, (await client.SendJsonAsync(HttpMethod.Patch, "/v1/meters/tokens", new { aggregation = "median" })).Status);

        Assert.Equal(201, (await client.PostAsync("/v1/events", new { idempotency_key = "e1", subject, event_type = "llm", properties = new { tokens = 7 } })).Status);
        (int refused, JsonElement problem, _) = await client.SendJsonAsync(HttpMethod.Patch, "/v1/meters/tokens", new { aggregation = "max" });
        Assert.Equal(409, refused);
        Assert.Equal("METER_HAS_EVENTS", problem.Code());
        Assert.Contains("llm", problem.Str("detail"), StringComparison.Ordinal);
        Assert.Equal("METER_HAS_EVENTS", (await client.SendJsonAsync(HttpMethod.Patch, "/v1/meters/tokens", new { value_property = "other" })).Body.Code());
        Assert.Equal("sum", (await client.GetJsonAsync("/v1/meters/tokens")).Body.Str("aggregation"));

        (int renamed, JsonElement after, _) = await client.SendJsonAsync(HttpMethod.Patch, "/v1/meters/tokens", new { name = "Tokens" });
        Assert.Equal(200, renamed);
        Assert.Equal("Tokens", after.Str("name"));
        Assert.Equal("Tokens per call", after.Str("description"));
        JsonElement[] audited = (await client.GetJsonAsync("/v1/audit-events?action=meter.updated")).Body.GetProperty("data").EnumerateArray().ToArray();
        Assert.Equal(2, audited.Length);
        Assert.Equal("count", audited[1].GetProperty("details").GetProperty("before").Str("aggregation"));
        Assert.Equal("sum", audited[1].GetProperty("details").GetProperty("after").Str("aggregation"));
        Assert.Equal(404, (await client.SendJsonAsync(HttpMethod.Patch, "/v1/meters/nope", new { name = "x" })).Status);
    }

    [Fact]
    public async Task An_archived_meter_counts_no_new_event_and_keeps_its_history()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", new { code = "calls", event_type = "call", aggregation = "count" });
        await client.PostAsync("/v1/meters", new { code = "calls_too", event_type = "call", aggregation = "count" });
        DateTimeOffset before = DateTimeOffset.UtcNow.AddMinutes(-1);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(201, (await client.PostAsync("/v1/events", new { idempotency_key = $"b{i}", subject, event_type = "call", timestamp = before.ToString("O") })).Status);
        }

        (int status, JsonElement archived) = await client.PostAsync("/v1/meters/calls/archive", new { });
        Assert.Equal(200, status);
        Assert.Equal("archived", archived.Str("status"));
        string archivedAt = archived.Str("archived_at");
        Assert.Equal(archivedAt, (await client.PostAsync("/v1/meters/calls/archive", new { })).Body.Str("archived_at"));
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(201, (await client.PostAsync("/v1/events", new { idempotency_key = $"a{i}", subject, event_type = "call" })).Status);
        }

        Assert.Equal("3", (await client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=calls")).Body.Str("value"));
        Assert.Equal("5", (await client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=calls_too")).Body.Str("value"));
        JsonElement audit = await AuditedAsync(client, "meter.archived");
        Assert.Equal("active", audit.GetProperty("before").Str("status"));
        Assert.Equal("archived", audit.GetProperty("after").Str("status"));
        Assert.Equal(404, (await client.PostAsync("/v1/meters/nope/archive", new { })).Status);
    }
}
