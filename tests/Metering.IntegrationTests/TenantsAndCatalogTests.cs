using System.Net.Http.Json;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
using Npgsql;

namespace Metering.IntegrationTests;

[Collection(AppCollection.Name)]
public sealed class TenantsAndCatalogTests(AppFixture app)
{
    [Fact]
    public async Task Admin_creates_a_tenant_whose_key_is_stored_only_hashed()
    {
        using HttpClient admin = app.Client(AppFixture.AdminKey);
        string id = "acme_" + Guid.NewGuid().ToString("N")[..8];
        (int status, JsonElement body) = await admin.PostAsync("/admin/v1/tenants", new { id });
        Assert.Equal(201, status);
        string key = body.Str("api_key");
        Assert.Equal(id, body.Str("id"));

        (int again, JsonElement conflict) = await admin.PostAsync("/admin/v1/tenants", new { id });
        Assert.Equal(409, again);
        Assert.Equal("ALREADY_EXISTS", conflict.Code());

        await using NpgsqlConnection db = await app.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM api_keys WHERE tenant_id = $1 AND position($2 in encode(key_hash, 'escape')) = 0", db);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        Assert.Equal(1L, await command.ExecuteScalarAsync());

        using HttpClient tenant = app.Client(key);
        Assert.Equal(200, (await tenant.GetJsonAsync("/v1/meters")).Status);
    }

    [Fact]
    public async Task Admin_api_refuses_a_tenant_key_and_no_key()
    {
        using HttpClient tenant = await app.NewTenantAsync();
        Assert.Equal(401, (await tenant.PostAsync("/admin/v1/tenants", new { id = "x" })).Status);
        using HttpClient anonymous = app.Client();
        (int status, JsonElement body) = await anonymous.PostAsync("/admin/v1/tenants", new { id = "x" });
        Assert.Equal(401, status);
        Assert.Equal("UNAUTHENTICATED", body.Code());
    }

    [Fact]
    public async Task Bootstrap_key_belongs_to_the_default_tenant()
    {
        using HttpClient client = app.Client("bootstrap-key");
        Assert.Equal(200, (await client.GetJsonAsync("/v1/meters")).Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-key")]
    public async Task Requests_without_a_valid_key_get_401_problem_json(string? key)
    {
        using HttpClient client = app.Client(key);
        HttpResponseMessage response = await client.PostAsJsonAsync("/v1/events", new { });
        Assert.Equal(401, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("UNAUTHENTICATED", body.Code());
        Assert.Equal(401, body.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task One_tenant_never_sees_another_tenants_data()
    {
        using HttpClient a = await app.NewTenantAsync();
        using HttpClient b = await app.NewTenantAsync();
        string subject = await a.SetUpSubscriptionAsync("sub_a", new { code = "calls", event_type = "call", aggregation = "count" });

        Assert.Equal(404, (await b.GetJsonAsync("/v1/meters/calls")).Status);
        Assert.Equal(404, (await b.GetJsonAsync("/v1/subscriptions/sub_a")).Status);
        Assert.Equal(404, (await b.GetJsonAsync("/v1/customers/cust_1")).Status);
        Assert.Equal(404, (await b.GetJsonAsync("/v1/subscriptions/sub_a/usage?meter=calls")).Status);
        (int status, JsonElement body) = await b.PostAsync("/v1/events", new { idempotency_key = "k", subject, event_type = "call" });
        Assert.Equal(422, status);
        Assert.Equal("UNKNOWN_SUBJECT", body.Code());
        // The same ids are free in the other tenant.
        Assert.Equal(201, (await b.PostAsync("/v1/meters", new { code = "calls", event_type = "call", aggregation = "count" })).Status);
    }

    [Theory]
    [InlineData("count", null)]
    [InlineData("sum", "usage.input_tokens")]
    [InlineData("unique_count", "user")]
    [InlineData("max", "latency")]
    [InlineData("min", "latency")]
    [InlineData("latest", "balance")]
    public async Task Meters_of_every_aggregation_are_created_listed_and_read(string aggregation, string? valueProperty)
    {
        using HttpClient client = await app.NewTenantAsync();
        (int status, JsonElement meter) = await client.PostAsync("/v1/meters", new { code = "m1", event_type = "ev", aggregation, value_property = valueProperty, group_by = new[] { "model" } });
        Assert.Equal(201, status);
        Assert.Equal(aggregation, meter.Str("aggregation"));
        (_, JsonElement read) = await client.GetJsonAsync("/v1/meters/m1");
        Assert.Equal(valueProperty, read.GetProperty("value_property").GetString());
        Assert.Equal("model", read.GetProperty("group_by")[0].GetString());
        (_, JsonElement list) = await client.GetJsonAsync("/v1/meters");
        Assert.Equal(1, list.GetProperty("data").GetArrayLength());
        Assert.Equal("ALREADY_EXISTS", (await client.PostAsync("/v1/meters", new { code = "m1", event_type = "ev", aggregation = "count" })).Body.Code());
    }

    [Theory]
    [InlineData("""{"code":"m","event_type":"ev","aggregation":"sum"}""", "value_property")]
    [InlineData("""{"code":"m","event_type":"ev","aggregation":"median","value_property":"x"}""", "aggregation")]
    [InlineData("""{"code":"m","event_type":"EV!","aggregation":"count"}""", "event_type")]
    [InlineData("""{"event_type":"ev","aggregation":"count"}""", "code")]
    [InlineData("""{"code":"m","event_type":"ev","aggregation":"count","group_by":"model"}""", "group_by")]
    public async Task Invalid_meters_get_invalid_request_naming_the_field(string json, string field)
    {
        using HttpClient client = await app.NewTenantAsync();
        (int status, JsonElement body) = await client.PostRawAsync("/v1/meters", json);
        Assert.Equal(400, status);
        Assert.Equal("INVALID_REQUEST", body.Code());
        Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), body.ToString());
    }

    [Fact]
    public async Task Customers_plans_and_subscriptions_are_created_read_and_unique()
    {
        using HttpClient client = await app.NewTenantAsync();
        (int c, JsonElement customer) = await client.PostAsync("/v1/customers", new { id = "cust_1", name = "Acme", currency = "USD", tax_rate = "0.20" });
        Assert.Equal(201, c);
        Assert.Equal("0.2", customer.Str("tax_rate"));
        Assert.Equal("ALREADY_EXISTS", (await client.PostAsync("/v1/customers", new { id = "cust_1", currency = "USD" })).Body.Code());
        Assert.Equal("INVALID_REQUEST", (await client.PostAsync("/v1/customers", new { id = "cust_2", currency = "dollars" })).Body.Code());

        (int p, JsonElement plan) = await client.PostAsync("/v1/plans", new { code = "pro", currency = "USD", interval = "month", fixed_fee = 99.00 });
        Assert.Equal(201, p);
        Assert.Equal("99", plan.Str("fixed_fee"));
        Assert.Equal("INVALID_REQUEST", (await client.PostAsync("/v1/plans", new { code = "x", currency = "USD", interval = "fortnight" })).Body.Code());
        Assert.Equal("ALREADY_EXISTS", (await client.PostAsync("/v1/plans", new { code = "pro", currency = "USD", interval = "month" })).Body.Code());

        (int s, JsonElement sub) = await client.PostAsync("/v1/subscriptions", new { id = "sub_1", customer_id = "cust_1", plan = "pro", started_at = "2026-01-31T00:00:00Z", subjects = new[] { "agent:a", "agent:b" } });
        Assert.Equal(201, s);
        Assert.Equal(2, sub.GetProperty("subjects").GetArrayLength());
        (_, JsonElement read) = await client.GetJsonAsync("/v1/subscriptions/sub_1");
        Assert.Equal("2026-01-31T00:00:00Z", read.Str("started_at"));
        Assert.Equal("ALREADY_EXISTS", (await client.PostAsync("/v1/subscriptions", new { id = "sub_1", customer_id = "cust_1", plan = "pro", subjects = new[] { "agent:c" } })).Body.Code());
        // A subject belongs to at most one subscription.
        (int taken, JsonElement takenBody) = await client.PostAsync("/v1/subscriptions", new { id = "sub_2", customer_id = "cust_1", plan = "pro", subjects = new[] { "agent:b" } });
        Assert.Equal(409, taken);
        Assert.Equal("ALREADY_EXISTS", takenBody.Code());
        Assert.Equal(404, (await client.GetJsonAsync("/v1/subscriptions/sub_2")).Status);
        Assert.Equal("NOT_FOUND", (await client.PostAsync("/v1/subscriptions", new { id = "sub_3", customer_id = "nobody", plan = "pro", subjects = new[] { "agent:x" } })).Body.Code());
        Assert.Equal("NOT_FOUND", (await client.PostAsync("/v1/subscriptions", new { id = "sub_3", customer_id = "cust_1", plan = "nope", subjects = new[] { "agent:x" } })).Body.Code());
    }

    [Fact]
    public async Task Health_metrics_and_cluster_answer()
    {
        using HttpClient anonymous = app.Client();
        Assert.Equal(200, (await anonymous.GetJsonAsync("/health/live")).Status);
        (int ready, JsonElement readyBody) = await anonymous.GetJsonAsync("/health/ready");
        Assert.Equal(200, ready);
        Assert.Equal(256, readyBody.GetProperty("partitions").GetInt32());
        string metrics = await anonymous.GetStringAsync("/metrics");
        Assert.Contains("metering_partitions_owned 256", metrics);
        using HttpClient client = await app.NewTenantAsync();
        (int status, JsonElement cluster) = await client.GetJsonAsync("/v1/cluster");
        Assert.Equal(200, status);
        Assert.Equal(256, cluster.GetProperty("partitions").GetInt32());
        Assert.Equal("active", cluster.GetProperty("silos")[0].Str("status"));
    }
}
