using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests.Catalog;

/// <summary>Cursor pagination of every collection: <c>?limit=</c> 1–500 (default 50), <c>?starting_after=</c> the
/// <c>next_cursor</c> of the page before; answers <c>{"data","has_more","next_cursor"}</c>.</summary>
[Collection(AppCollection.Name)]
public sealed class ListingTests(AppFixture app)
{
    /// <summary>Reads a collection page by page; checks the shape of each page. Returns the items' keys in the order read.</summary>
    internal static async Task<List<string>> WalkAsync(HttpClient client, string path, int limit, string key, Func<Task>? betweenPages = null)
    {
        var keys = new List<string>();
        string? cursor = null;
        string separator = path.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        for (int pages = 0; pages < 1000; pages++)
        {
            string url = $"{path}{separator}limit={limit}" + (cursor is null ? "" : "&starting_after=" + Uri.EscapeDataString(cursor));
            (int status, JsonElement body) = await client.GetJsonAsync(url);
            Assert.True(status == 200, $"{url}: {status} {body}");
            JsonElement[] data = body.GetProperty("data").EnumerateArray().ToArray();
            Assert.True(data.Length <= limit, url);
            keys.AddRange(data.Select(d => d.GetProperty(key).ToString()));
            bool more = body.GetProperty("has_more").GetBoolean();
            JsonElement next = body.GetProperty("next_cursor");
            if (!more)
            {
                Assert.Equal(JsonValueKind.Null, next.ValueKind);
                return keys;
            }

            Assert.Equal(limit, data.Length);
            cursor = next.GetString();
            Assert.False(string.IsNullOrEmpty(cursor));
            if (betweenPages is not null)
            {
                await betweenPages();
            }
        }

        throw new InvalidOperationException("The pages never ended.");
    }

    [Fact]
    public async Task Customers_page_in_id_order_and_inserts_between_pages_neither_repeat_nor_skip_one()
    {
        using HttpClient client = await app.NewTenantAsync();
        string[] ids = Enumerable.Range(0, 23).Select(i => $"c_{i:D3}").ToArray();
        foreach (string id in ids.Reverse())
        {
            Assert.Equal(201, (await client.PostAsync("/v1/customers", new { id, currency = "USD" })).Status);
        }

        int inserted = 0;
        List<string> seen = await WalkAsync(client, "/v1/customers", 5, "id", async () =>
        {
            // One customer before every cursor (already passed), one after (still to come).
            await client.PostAsync("/v1/customers", new { id = $"a_{inserted}", currency = "USD" });
            await client.PostAsync("/v1/customers", new { id = $"z_{inserted++}", currency = "USD" });
        });

        Assert.Equal(seen.Distinct().Count(), seen.Count);
        Assert.Equal(ids, seen.Where(s => s.StartsWith("c_", StringComparison.Ordinal)));
        Assert.Equal(Enumerable.Range(0, inserted).Select(i => $"z_{i}").Order(StringComparer.Ordinal), seen.Where(s => s.StartsWith("z_", StringComparison.Ordinal)));
        Assert.DoesNotContain(seen, s => s.StartsWith("a_", StringComparison.Ordinal));
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen);
    }

    [Fact]
    public async Task Default_limit_is_50_and_limits_outside_1_to_500_are_refused()
    {
        using HttpClient client = await app.NewTenantAsync();
        for (int i = 0; i < 52; i++)
        {
            await client.PostAsync("/v1/plans", new { code = $"p{i:D2}", currency = "USD", interval = "month" });
        }

        (int status, JsonElement body) = await client.GetJsonAsync("/v1/plans");
        Assert.Equal(200, status);
        Assert.Equal(50, body.GetProperty("data").GetArrayLength());
        Assert.True(body.GetProperty("has_more").GetBoolean());
        Assert.Equal("p49", body.Str("next_cursor"));
        (_, JsonElement rest) = await client.GetJsonAsync("/v1/plans?starting_after=p49");
        Assert.Equal(["p50", "p51"], rest.GetProperty("data").EnumerateArray().Select(p => p.Str("code")));
        Assert.False(rest.GetProperty("has_more").GetBoolean());
        Assert.Equal(52, (await client.GetJsonAsync("/v1/plans?limit=500")).Body.GetProperty("data").GetArrayLength());

        foreach (string limit in new[] { "0", "501", "-1", "abc", "1.5", "" })
        {
            foreach (string path in new[] { "/v1/plans", "/v1/meters", "/v1/invoices", "/v1/audit-events", "/v1/subscriptions", "/v1/quotas", "/v1/prices", "/v1/billing-runs", "/v1/rerating-jobs", "/v1/api-keys", "/v1/signing-keys", "/v1/webhook-endpoints", "/v1/webhook-deliveries" })
            {
                (int refused, JsonElement problem) = await client.GetJsonAsync($"{path}?limit={limit}");
                Assert.True(refused == 400, $"{path}?limit={limit}: {refused} {problem}");
                Assert.Equal("INVALID_REQUEST", problem.Code());
            }
        }
    }

    [Theory]
    [InlineData("/v1/meters", "code")]
    [InlineData("/v1/plans", "code")]
    [InlineData("/v1/subscriptions", "id")]
    [InlineData("/v1/prices", "id")]
    [InlineData("/v1/plans/pro/prices", "id")]
    [InlineData("/v1/quotas", "meter")]
    [InlineData("/v1/subscriptions/sub_0/quotas", "meter")]
    [InlineData("/v1/invoices", "id")]
    [InlineData("/v1/billing-runs", "id")]
    [InlineData("/v1/rerating-jobs", "id")]
    [InlineData("/v1/audit-events", "id")]
    [InlineData("/v1/api-keys", "id")]
    [InlineData("/v1/signing-keys", "id")]
    [InlineData("/v1/webhook-endpoints", "id")]
    [InlineData("/v1/webhook-deliveries", "id")]
    [InlineData("/v1/webhook-deliveries?status=pending", "id")]
    public async Task Every_collection_pages_through_each_item_once(string path, string key)
    {
        using HttpClient client = await app.NewTenantAsync();
        const int Count = 7;
        await client.PostAsync("/v1/customers", new { id = "cust_1", currency = "USD" });
        await client.PostAsync("/v1/plans", new { code = "pro", currency = "USD", interval = "day" });
        DateTimeOffset start = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero).AddDays(-3);
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(201, (await client.PostAsync("/v1/meters", new { code = $"m{i}", event_type = $"e{i}", aggregation = "count" })).Status);
            Assert.Equal(201, (await client.PostAsync("/v1/plans", new { code = $"other_{i}", currency = "USD", interval = "month" })).Status);
            Assert.Equal(201, (await client.PostAsync("/v1/plans/pro/prices", new { meter = $"m{i}", model = "per_unit", properties = new { unit_price = "1" }, effective_from = "2020-01-01T00:00:00Z" })).Status);
            Assert.Equal(201, (await client.PostAsync("/v1/subscriptions", new { id = $"sub_{i}", customer_id = "cust_1", plan = "pro", started_at = start.ToString("O"), subjects = new[] { $"s{i}" } })).Status);
            Assert.Equal(200, (await client.SendJsonAsync(HttpMethod.Put, $"/v1/subscriptions/sub_0/quotas/m{i}", new { limit = 10, period = "day" })).Status);
            // A public address (TEST-NET-3) no receiver answers: each invoice below leaves a delivery per endpoint.
            Assert.Equal(201, (await client.PostAsync("/v1/webhook-endpoints", new { url = $"https://203.0.113.10/hooks/{i}", events = new[] { "invoice.created" } })).Status);
            Assert.Equal(201, (await client.PostAsync("/v1/invoices", new { subscription_id = "sub_0", period_start = start.AddDays(i % 3).ToString("O") })).Status is 201 or 409 ? 201 : 0);
            // Jobs run one after another in the background: only the case listing them makes them, so other tests' jobs do not queue behind.
            if (path == "/v1/billing-runs")
            {
                Assert.Equal(202, (await client.PostAsync("/v1/billing-runs", new { period_end_before = start.ToString("O") })).Status);
            }

            if (path is "/v1/rerating-jobs" or "/v1/audit-events")
            {
                Assert.Equal(202, (await client.PostAsync("/v1/rerating-jobs", new { customer_ids = new[] { $"nobody_{i}" }, from = "2020-01-01T00:00:00Z", to = "2020-01-02T00:00:00Z" })).Status);
            }
            Assert.Equal(201, (await client.PostAsync("/v1/api-keys", new { scopes = new[] { "read" } })).Status);
            Assert.Equal(201, (await client.PostAsync("/v1/signing-keys", new { id = $"k{i}", algorithm = "hmac-sha256", subjects = new[] { "*" } })).Status);
        }

        (_, JsonElement all) = await client.GetJsonAsync($"{path}{(path.Contains('?') ? "&" : "?")}limit=500");
        List<string> everything = all.GetProperty("data").EnumerateArray().Select(d => d.GetProperty(key).ToString()).ToList();
        Assert.True(everything.Count >= 3, $"{path}: {all}");
        Assert.False(all.GetProperty("has_more").GetBoolean());
        foreach (int limit in new[] { 1, 2, 3 })
        {
            Assert.Equal(everything, await WalkAsync(client, path, limit, key));
        }
    }

    [Fact]
    public async Task Subscriptions_filter_by_customer_plan_and_status()
    {
        using HttpClient client = await app.NewTenantAsync();
        await client.PostAsync("/v1/customers", new { id = "a", currency = "USD" });
        await client.PostAsync("/v1/customers", new { id = "b", currency = "USD" });
        await client.PostAsync("/v1/plans", new { code = "basic", currency = "USD", interval = "month" });
        await client.PostAsync("/v1/plans", new { code = "pro", currency = "USD", interval = "month" });
        string start = DateTimeOffset.UtcNow.AddDays(-2).ToString("yyyy-MM-ddTHH:00:00Z");
        foreach ((string id, string customer, string plan) in new[] { ("s1", "a", "basic"), ("s2", "a", "pro"), ("s3", "b", "pro"), ("s4", "b", "basic") })
        {
            Assert.Equal(201, (await client.PostAsync("/v1/subscriptions", new { id, customer_id = customer, plan, started_at = start, subjects = new[] { "subj-" + id } })).Status);
        }

        Assert.Equal(200, (await client.PostAsync("/v1/subscriptions/s4/cancel", new { at = "now" })).Status);

        async Task<string[]> Ids(string query) => (await client.GetJsonAsync("/v1/subscriptions" + query)).Body.GetProperty("data").EnumerateArray().Select(s => s.Str("id")).ToArray();
        Assert.Equal(["s1", "s2"], await Ids("?customer_id=a"));
        Assert.Equal(["s2", "s3"], await Ids("?plan=pro"));
        Assert.Equal(["s3"], await Ids("?plan=pro&customer_id=b"));
        Assert.Equal(["s4"], await Ids("?status=ended"));
        Assert.Equal(["s1", "s2", "s3"], await Ids("?status=active"));
        Assert.Equal(["s1", "s2", "s3", "s4"], await Ids(""));
        Assert.Equal("INVALID_REQUEST", (await client.GetJsonAsync("/v1/subscriptions?status=paused")).Body.Code());
    }

    [Fact]
    public async Task Invoices_filter_by_customer_status_and_period()
    {
        using HttpClient client = await app.NewTenantAsync();
        await client.PostAsync("/v1/customers", new { id = "a", currency = "USD" });
        await client.PostAsync("/v1/customers", new { id = "b", currency = "USD" });
        await client.PostAsync("/v1/plans", new { code = "daily", currency = "USD", interval = "day", fixed_fee = "1" });
        DateTimeOffset start = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero).AddDays(-3);
        await client.PostAsync("/v1/subscriptions", new { id = "sa", customer_id = "a", plan = "daily", started_at = start.ToString("O"), subjects = new[] { "x-a" } });
        await client.PostAsync("/v1/subscriptions", new { id = "sb", customer_id = "b", plan = "daily", started_at = start.ToString("O"), subjects = new[] { "x-b" } });
        var ids = new Dictionary<(string, int), string>();
        foreach (string sub in new[] { "sa", "sb" })
        {
            for (int day = 0; day < 3; day++)
            {
                (int status, JsonElement invoice) = await client.PostAsync("/v1/invoices", new { subscription_id = sub, period_start = start.AddDays(day).ToString("O") });
                Assert.True(status == 201, invoice.ToString());
                ids[(sub, day)] = invoice.Str("id");
            }
        }

        Assert.Equal(200, (await client.PostAsync($"/v1/invoices/{ids[("sa", 1)]}/finalize", new { })).Status);

        async Task<string[]> Ids(string query) => (await client.GetJsonAsync("/v1/invoices" + query)).Body.GetProperty("data").EnumerateArray().Select(s => s.Str("id")).ToArray();
        Assert.Equal([ids[("sa", 0)], ids[("sa", 1)], ids[("sa", 2)]], await Ids("?customer_id=a"));
        Assert.Equal([ids[("sa", 1)]], await Ids("?status=finalized"));
        Assert.Equal([ids[("sa", 0)], ids[("sa", 2)]], await Ids("?customer_id=a&status=draft"));
        string from = Uri.EscapeDataString(start.AddDays(1).ToString("O"));
        string to = Uri.EscapeDataString(start.AddDays(2).ToString("O"));
        Assert.Equal([ids[("sa", 1)], ids[("sb", 1)]], await Ids($"?period_from={from}&period_to={to}"));
        Assert.Equal([ids[("sb", 1)], ids[("sb", 2)]], await Ids($"?customer_id=b&period_from={from}"));
        Assert.Equal("INVALID_REQUEST", (await client.GetJsonAsync("/v1/invoices?period_from=yesterday")).Body.Code());
    }
}
