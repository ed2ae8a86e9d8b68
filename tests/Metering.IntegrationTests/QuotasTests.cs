using System.Net.Http.Json;
using System.Text.Json;
using Metering.Client;
using Metering.Grains.Quotas;
using Metering.IntegrationTests.Infrastructure;
using Metering.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Metering.IntegrationTests;

[Collection(AppCollection.Name)]
public sealed class QuotasTests(AppFixture app)
{
    private static readonly object s_calls = new { code = "api_calls", event_type = "api_call", aggregation = "count" };
    private static readonly object s_tokens = new { code = "tokens", event_type = "llm", aggregation = "sum", value_property = "usage.tokens" };
    private static readonly object s_peak = new { code = "peak", event_type = "load", aggregation = "max", value_property = "cpu" };

    private static object Event(string subject, string eventType, object properties, DateTimeOffset? timestamp = null) => new
    {
        idempotency_key = "k-" + Guid.NewGuid(),
        subject,
        event_type = eventType,
        timestamp = timestamp?.ToString("O"),
        properties,
    };

    private static async Task<JsonElement> PutQuotaAsync(HttpClient client, string meter, object definition, string subscription = "sub_1")
    {
        HttpResponseMessage response = await client.PutAsJsonAsync($"/v1/subscriptions/{subscription}/quotas/{meter}", definition);
        JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True((int)response.StatusCode == 200, body.ToString());
        return body;
    }

    private static async Task<JsonElement> CheckAsync(HttpClient client, string subject, string meter, string amount = "1")
    {
        (int status, JsonElement body) = await client.GetJsonAsync($"/v1/quotas/check?subject={Uri.EscapeDataString(subject)}&meter={meter}&amount={amount}");
        Assert.True(status == 200, body.ToString());
        return body;
    }

    private static async Task<JsonElement> ConsumeAsync(HttpClient client, string subject, string meter, string amount = "1", string? key = null)
    {
        (int status, JsonElement body) = await client.PostAsync("/v1/quotas/consume", new { subject, meter, amount, idempotency_key = key });
        Assert.True(status == 200, body.ToString());
        return body;
    }

    [Fact]
    public async Task Quota_of_10_per_hour_allows_the_10th_and_denies_after_it()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_calls);
        JsonElement quota = await PutQuotaAsync(client, "api_calls", new { limit = "10", period = "hour", overflow = "block" });
        Assert.Equal("hour", quota.Str("period"));
        Assert.Equal("0", quota.Str("used"));

        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(201, (await client.PostAsync("/v1/events", Event(subject, "api_call", new { }))).Status);
        }

        JsonElement allow = await CheckAsync(client, subject, "api_calls");
        Assert.Equal("allow", allow.Str("decision"));
        Assert.Equal("1", allow.Str("remaining"));
        Assert.Equal("9", allow.Str("used"));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset resets = DateTimeOffset.Parse(allow.Str("resets_at"));
        Assert.Equal(0, resets.Minute);
        Assert.InRange(resets - now, TimeSpan.Zero, TimeSpan.FromHours(1));

        Assert.Equal(201, (await client.PostAsync("/v1/events", Event(subject, "api_call", new { }))).Status);
        JsonElement deny = await CheckAsync(client, subject, "api_calls");
        Assert.Equal("deny", deny.Str("decision"));
        Assert.Equal("limit_reached", deny.Str("reason"));
        Assert.Equal("10", deny.Str("used"));
        Assert.Equal("0", deny.Str("remaining"));
        Assert.Equal("10", deny.Str("limit"));
    }

    [Fact]
    public async Task Consume_counts_down_to_zero_then_denies_and_audits_the_denial()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_calls);
        await PutQuotaAsync(client, "api_calls", new { limit = 5, period = "hour" });

        foreach (string expected in new[] { "4", "3", "2", "1", "0" })
        {
            JsonElement allowed = await ConsumeAsync(client, subject, "api_calls");
            Assert.True(allowed.GetProperty("allowed").GetBoolean());
            Assert.Equal(expected, allowed.Str("quota_remaining"));
        }

        JsonElement denied = await ConsumeAsync(client, subject, "api_calls", key: "denied-1");
        Assert.False(denied.GetProperty("allowed").GetBoolean());
        Assert.Equal("0", denied.Str("quota_remaining"));
        Assert.Equal("quota_exceeded", denied.Str("denial_reason"));

        // Allowed consumes are events of the meter; the denied one recorded nothing.
        (int status, JsonElement usage) = await client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=api_calls");
        Assert.Equal(200, status);
        Assert.Equal("5", usage.Str("value"));

        (status, JsonElement audit) = await client.GetJsonAsync("/v1/audit-events?action=quota.denied");
        Assert.Equal(200, status);
        JsonElement entry = Assert.Single(audit.GetProperty("data").EnumerateArray());
        Assert.Equal("quota.denied", entry.Str("action"));
        Assert.Equal(subject, entry.Str("subject"));
        Assert.Equal("denied-1", entry.GetProperty("details").Str("idempotency_key"));
        Assert.Equal("api_calls", entry.GetProperty("details").Str("meter"));
    }

    [Fact]
    public async Task A_backdated_event_counts_in_the_current_window_and_does_not_reopen_the_quota()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_calls);
        await PutQuotaAsync(client, "api_calls", new { limit = "5", period = "hour" });
        for (int i = 0; i < 5; i++)
        {
            Assert.True((await ConsumeAsync(client, subject, "api_calls")).GetProperty("allowed").GetBoolean());
        }

        (int status, _) = await client.PostAsync("/v1/events", Event(subject, "api_call", new { }, DateTimeOffset.UtcNow.AddMinutes(-62)));
        Assert.Equal(201, status);

        JsonElement check = await CheckAsync(client, subject, "api_calls");
        Assert.Equal("deny", check.Str("decision"));
        Assert.Equal("6", check.Str("used"));
        Assert.Equal("0", check.Str("remaining"));
        Assert.False((await ConsumeAsync(client, subject, "api_calls")).GetProperty("allowed").GetBoolean());
    }

    [Fact]
    public async Task Allow_overage_allows_past_the_limit_and_reports_the_overage()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_tokens);
        await PutQuotaAsync(client, "tokens", new { limit = "1000", period = "day", overflow = "allow_overage" });
        Assert.Equal(201, (await client.PostAsync("/v1/events", Event(subject, "llm", new { usage = new { tokens = 1001 } }))).Status);

        JsonElement check = await CheckAsync(client, subject, "tokens");
        Assert.Equal("allow", check.Str("decision"));
        Assert.Equal("1001", check.Str("used"));
        Assert.Equal("0", check.Str("remaining"));
        Assert.Equal("1", check.Str("overage"));

        JsonElement consumed = await ConsumeAsync(client, subject, "tokens", "9");
        Assert.True(consumed.GetProperty("allowed").GetBoolean());
        Assert.Equal("0", consumed.Str("quota_remaining"));
        Assert.Equal("10", consumed.Str("overage"));
    }

    [Theory]
    [InlineData(1, 1, 100)]   // one credit, a hundred racing requests
    [InlineData(100, 20, 30)] // a cost of 20: five fit
    [InlineData(50, 1, 150)]  // three times over-subscribed
    public async Task Racing_consumes_never_pass_the_limit(int limit, int cost, int requests)
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_tokens);
        await PutQuotaAsync(client, "tokens", new { limit = limit.ToString(), period = limit == 1 ? "none" : "hour" });

        // Each request on a connection of its own, all released at once.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        HttpClient[] clients = Enumerable.Range(0, requests).Select(_ => app.Client(client.DefaultRequestHeaders.Authorization!.Parameter)).ToArray();
        Task<JsonElement>[] calls = clients.Select(async (c, i) =>
        {
            await start.Task;
            return await ConsumeAsync(c, subject, "tokens", cost.ToString(), $"race-{i}");
        }).ToArray();
        start.SetResult();
        JsonElement[] answers = await Task.WhenAll(calls);
        foreach (HttpClient c in clients)
        {
            c.Dispose();
        }

        int allowed = answers.Count(a => a.GetProperty("allowed").GetBoolean());
        Assert.Equal(Math.Min(requests, limit / cost), allowed);
        Assert.All(answers.Where(a => !a.GetProperty("allowed").GetBoolean()), a => Assert.Equal("quota_exceeded", a.Str("denial_reason")));

        (int status, JsonElement quota) = await client.GetJsonAsync("/v1/subscriptions/sub_1/quotas/tokens");
        Assert.Equal(200, status);
        Assert.Equal((allowed * cost).ToString(), quota.Str("used"));
        Assert.True(decimal.Parse(quota.Str("used")) <= limit);
        (_, JsonElement usage) = await client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=tokens");
        Assert.Equal((allowed * cost).ToString(), usage.Str("value"));
        Assert.Equal(allowed, usage.GetProperty("events").GetInt32());
    }

    [Fact]
    public async Task A_retried_consume_gets_its_first_decision_and_counts_once()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_tokens);
        await PutQuotaAsync(client, "tokens", new { limit = "10", period = "none" });

        JsonElement first = await ConsumeAsync(client, subject, "tokens", "6", "once");
        JsonElement again = await ConsumeAsync(client, subject, "tokens", "6", "once");
        Assert.True(first.GetProperty("allowed").GetBoolean());
        Assert.True(again.GetProperty("allowed").GetBoolean());
        Assert.Equal("4", again.Str("quota_remaining"));

        JsonElement denied = await ConsumeAsync(client, subject, "tokens", "6", "too-much");
        Assert.False(denied.GetProperty("allowed").GetBoolean());
        Assert.Equal("14", (await PatchAsync(client, new { increment = "10" })).Str("remaining"));
        Assert.False((await ConsumeAsync(client, subject, "tokens", "6", "too-much")).GetProperty("allowed").GetBoolean());
        Assert.True((await ConsumeAsync(client, subject, "tokens", "6", "fresh")).GetProperty("allowed").GetBoolean());

        // The same key for a different amount is another request: refused, nothing recorded.
        (int status, JsonElement reused) = await client.PostAsync("/v1/quotas/consume", new { subject, meter = "tokens", amount = "1", idempotency_key = "once" });
        Assert.Equal(422, status);
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", reused.Code());

        (_, JsonElement usage) = await client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=tokens");
        Assert.Equal("12", usage.Str("value"));
        Assert.Equal(2, usage.GetProperty("events").GetInt32());
    }

    [Fact]
    public async Task Credits_are_set_incremented_and_decremented()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_tokens);
        // Usage before the credits were granted does not draw on them.
        Assert.Equal(201, (await client.PostAsync("/v1/events", Event(subject, "llm", new { usage = new { tokens = 500 } }))).Status);
        JsonElement granted = await PutQuotaAsync(client, "tokens", new { limit = "10", period = "none", refill = new { amount = "10", interval = "month" } });
        Assert.Equal("10", granted.Str("remaining"));
        Assert.Equal("month", granted.GetProperty("refill").Str("interval"));
        Assert.Equal(1, DateTimeOffset.Parse(granted.Str("resets_at")).Day);

        Assert.Equal("7", (await ConsumeAsync(client, subject, "tokens", "3")).Str("quota_remaining"));
        Assert.Equal("12", (await PatchAsync(client, new { increment = "5" })).Str("remaining"));
        Assert.Equal("10", (await PatchAsync(client, new { decrement = "2" })).Str("remaining"));
        Assert.Equal("0", (await PatchAsync(client, new { decrement = "50" })).Str("remaining"));
        JsonElement set = await PatchAsync(client, new { set = "100" });
        Assert.Equal("100", set.Str("remaining"));
        Assert.Equal("100", set.Str("limit"));
        Assert.Equal("0", set.Str("used"));
        Assert.Equal("60", (await ConsumeAsync(client, subject, "tokens", "40")).Str("quota_remaining"));
        Assert.Equal(201, (await client.PostAsync("/v1/events", Event(subject, "llm", new { usage = new { tokens = 10 } }))).Status);
        JsonElement check = await CheckAsync(client, subject, "tokens", "51");
        Assert.Equal("deny", check.Str("decision"));
        Assert.Equal("50", check.Str("remaining"));
    }

    private static async Task<JsonElement> PatchAsync(HttpClient client, object adjustment, string meter = "tokens")
    {
        HttpResponseMessage response = await client.PatchAsJsonAsync($"/v1/subscriptions/sub_1/quotas/{meter}", adjustment);
        JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True((int)response.StatusCode == 200, body.ToString());
        return body;
    }

    [Fact]
    public async Task Bad_quota_requests_get_clear_errors()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_calls);
        await client.PostAsync("/v1/meters", s_peak);

        async Task<(int, string)> Put(string meter, object body, string subscription = "sub_1")
        {
            HttpResponseMessage r = await client.PutAsJsonAsync($"/v1/subscriptions/{subscription}/quotas/{meter}", body);
            return ((int)r.StatusCode, (await r.Content.ReadFromJsonAsync<JsonElement>()).Code());
        }

        Assert.Equal((400, "INVALID_REQUEST"), await Put("api_calls", new { limit = "10", period = "week" }));
        Assert.Equal((400, "INVALID_REQUEST"), await Put("api_calls", new { limit = "-1", period = "hour" }));
        Assert.Equal((400, "INVALID_REQUEST"), await Put("api_calls", new { limit = "10", period = "hour", overflow = "maybe" }));
        Assert.Equal((400, "INVALID_REQUEST"), await Put("api_calls", new { limit = "10", period = "hour", refill = new { amount = "5", interval = "day" } }));
        Assert.Equal((404, "NOT_FOUND"), await Put("nope", new { limit = "10", period = "hour" }));
        Assert.Equal((404, "NOT_FOUND"), await Put("api_calls", new { limit = "10", period = "hour" }, "sub_nope"));

        Assert.Equal(404, (await client.GetJsonAsync("/v1/subscriptions/sub_1/quotas/api_calls")).Status);
        (int status, JsonElement body) = await client.GetJsonAsync($"/v1/quotas/check?subject={subject}&meter=api_calls");
        Assert.Equal((404, "NOT_FOUND"), (status, body.Code()));
        (status, body) = await client.GetJsonAsync("/v1/quotas/check?subject=nobody&meter=api_calls");
        Assert.Equal((422, "UNKNOWN_SUBJECT"), (status, body.Code()));
        (status, body) = await client.GetJsonAsync($"/v1/quotas/check?subject={subject}&meter=api_calls&amount=-3");
        Assert.Equal((400, "INVALID_REQUEST"), (status, body.Code()));

        await PutQuotaAsync(client, "api_calls", new { limit = "10", period = "hour" });
        await PutQuotaAsync(client, "peak", new { limit = "90", period = "hour" });
        (status, body) = await client.PostAsync("/v1/quotas/consume", new { subject, meter = "api_calls", amount = 2 });
        Assert.Equal((400, "INVALID_REQUEST"), (status, body.Code()));
        (status, body) = await client.PostAsync("/v1/quotas/consume", new { subject, meter = "peak", amount = 2 });
        Assert.Equal((400, "INVALID_REQUEST"), (status, body.Code()));
        (status, body) = await client.PostAsync("/v1/quotas/consume", new { meter = "api_calls" });
        Assert.Equal((400, "INVALID_REQUEST"), (status, body.Code()));
        HttpResponseMessage patch = await client.PatchAsJsonAsync("/v1/subscriptions/sub_1/quotas/api_calls", new { set = "5" });
        Assert.Equal(400, (int)patch.StatusCode);
        patch = await client.PatchAsJsonAsync("/v1/subscriptions/sub_1/quotas/api_calls", new { set = "5", increment = "1" });
        Assert.Equal(400, (int)patch.StatusCode);

        // A max meter's quota is checked against the window's maximum.
        Assert.Equal(201, (await client.PostAsync("/v1/events", Event(subject, "load", new { cpu = 95 }))).Status);
        JsonElement peak = await CheckAsync(client, subject, "peak", "0");
        Assert.Equal("deny", peak.Str("decision"));
        Assert.Equal("95", peak.Str("used"));

        // Nothing was counted by the refused requests.
        Assert.Equal("0", (await CheckAsync(client, subject, "api_calls")).Str("used"));

        // Another tenant's subscription is not found.
        using HttpClient other = await app.NewTenantAsync();
        Assert.Equal(404, (await other.GetJsonAsync("/v1/subscriptions/sub_1/quotas/api_calls")).Status);
    }

    [Fact]
    public async Task A_service_in_the_same_process_calls_the_quota_grain_without_http()
    {
        (string tenant, string key, HttpClient http) = await app.NewTenantWithKeyAsync();
        using HttpClient owned = http;
        string subject = await http.SetUpSubscriptionAsync("sub_1", s_tokens);
        using var client = new MeteringClient(app.BaseAddress, key);
        (int status, _) = await client.PutQuotaAsync("sub_1", "tokens", new { limit = "100", period = "month" });
        Assert.Equal(200, status);
        Assert.Equal(30m, (await client.ConsumeAsync(subject, "tokens", 70m)).QuotaRemaining);

        IQuotaGrain quota = app.Services.GetRequiredService<IGrainFactory>().GetGrain<IQuotaGrain>(QuotaKey.Of(tenant, "sub_1", "tokens"));
        QuotaView? view = await quota.CheckAsync(31);
        Assert.NotNull(view);
        Assert.False(view.Allowed);
        Assert.Equal(70m, view.Used);
        Assert.Equal(30m, view.Remaining);

        ConsumeResult consumed = await quota.ConsumeAsync(new ConsumeRequest(subject, 30, "in-process-1"));
        Assert.Equal(ConsumeStatus.Allowed, consumed.Status);
        Assert.Equal(0m, consumed.Remaining);

        QuotaCheck check = await client.CheckQuotaAsync(subject, "tokens");
        Assert.False(check.Allowed);
        Assert.Equal("limit_reached", check.Reason);
        Assert.Equal(100m, check.Used);
        MeteringApiException error = await Assert.ThrowsAsync<MeteringApiException>(() => client.CheckQuotaAsync("nobody", "tokens"));
        Assert.Equal("UNKNOWN_SUBJECT", error.Code);
    }

    [Fact]
    public async Task A_reactivated_quota_grain_restores_its_counters_from_the_events()
    {
        (string tenant, _, HttpClient http) = await app.NewTenantWithKeyAsync();
        using HttpClient client = http;
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_tokens);
        await PutQuotaAsync(client, "tokens", new { limit = "50", period = "hour" });
        await ConsumeAsync(client, subject, "tokens", "20");
        Assert.Equal(201, (await client.PostAsync("/v1/events", Event(subject, "llm", new { usage = new { tokens = 7 } }))).Status);

        // Deactivate every grain (a quota grain keeps no snapshot); the next call activates it from PostgreSQL.
        Assert.True(await app.Services.GetRequiredService<Metering.Runtime.Silo>().CollectIdleAsync(TimeSpan.Zero) > 0);
        JsonElement check = await CheckAsync(client, subject, "tokens");
        Assert.Equal("27", check.Str("used"));
        Assert.Equal("23", check.Str("remaining"));
        await using NpgsqlConnection db = await app.OpenDatabaseAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM events WHERE tenant_id = $1", db) { Parameters = { new() { Value = tenant } } };
        Assert.Equal(2L, (long)(await count.ExecuteScalarAsync())!);
    }
}
