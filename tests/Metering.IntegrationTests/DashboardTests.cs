using System.Net.Http.Json;
using System.Text.Json;
using Metering.Gateway.Dashboard;
using Metering.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.IntegrationTests;

/// <summary>The dashboard's page and the read-only endpoints it polls, over real HTTP and PostgreSQL: who may read what, and
/// that what they show is what was sent.</summary>
[Collection(AppCollection.Name)]
public sealed class DashboardTests(AppFixture app)
{
    private static readonly string[] s_adminPaths =
    [
        "/admin/v1/dashboard/traffic",
        "/admin/v1/dashboard/cluster",
        "/admin/v1/dashboard/grains",
        "/admin/v1/dashboard/jobs",
        "/admin/v1/dashboard/tenants/x/subscriptions/y",
    ];

    [Fact]
    public async Task The_page_and_its_files_are_served_with_a_strict_policy_and_hold_no_data()
    {
        HttpResponseMessage page = await app.Client().GetAsync("/dashboard");
        Assert.Equal(200, (int)page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("id=\"login-form\"", html);
        Assert.Contains("/dashboard/dashboard.js", html);

        HttpResponseMessage script = await app.Client().GetAsync("/dashboard/dashboard.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Contains("sessionStorage", await script.Content.ReadAsStringAsync());
        Assert.Equal("text/css", (await app.Client().GetAsync("/dashboard/dashboard.css")).Content.Headers.ContentType!.MediaType);
        (int missing, JsonElement problem) = await app.Client().GetJsonAsync("/dashboard/secrets.txt");
        Assert.Equal(404, missing);
        Assert.Equal("NOT_FOUND", problem.Code());
    }

    [Fact]
    public async Task Admin_views_need_the_admin_key_and_refuse_tenant_keys()
    {
        (_, string tenantKey, _) = await app.NewTenantWithKeyAsync();
        foreach (string path in s_adminPaths)
        {
            Assert.Equal(401, (int)(await app.Client().GetAsync(path)).StatusCode);
            (int status, JsonElement body) = await app.Client(tenantKey).GetJsonAsync(path);
            Assert.True(status == 401 && body.Code() == "UNAUTHENTICATED", $"{path} with a tenant key: {status} {body}");
            Assert.NotEqual(401, (int)(await app.Client(AppFixture.AdminKey).GetAsync(path)).StatusCode);
        }
    }

    [Fact]
    public async Task Traffic_counts_what_was_accepted_and_refused_and_samples_rates()
    {
        HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_traffic", new { code = "calls", event_type = "call", aggregation = "count" });
        TrafficSampler sampler = app.Services.GetRequiredService<TrafficSampler>();
        using HttpClient admin = app.Client(AppFixture.AdminKey);
        JsonElement before = (await admin.GetJsonAsync("/admin/v1/dashboard/traffic")).Body.GetProperty("totals");
        DateTimeOffset start = sampler.SampleNow().At;

        var events = Enumerable.Range(0, 30).Select(i => new { idempotency_key = $"tr-{i}", subject, event_type = "call" }).ToList();
        Assert.Equal(207, (await client.PostAsync("/v1/events/batch", new { events })).Status);
        Assert.Equal(409, (await client.PostAsync("/v1/events", events[0])).Status);
        Assert.Equal(422, (await client.PostAsync("/v1/events", new { idempotency_key = "tr-x", subject = "nobody", event_type = "call" })).Status);
        sampler.SampleNow();

        JsonElement traffic = (await admin.GetJsonAsync("/admin/v1/dashboard/traffic")).Body;
        JsonElement after = traffic.GetProperty("totals");
        // Other tests of the collection may ingest meanwhile: at least what this test sent, and its refusals by code.
        Assert.True(after.GetProperty("events_accepted").GetInt64() - before.GetProperty("events_accepted").GetInt64() >= 30);
        Assert.True(after.GetProperty("refused_by_code").GetProperty("DUPLICATE_EVENT").GetInt64() >= 1);
        Assert.True(after.GetProperty("refused_by_code").GetProperty("UNKNOWN_SUBJECT").GetInt64() >= 1);
        // The background sampler may take samples meanwhile too: the sends fall in the samples since the start.
        JsonElement[] since = [.. traffic.GetProperty("samples").EnumerateArray().Where(x => x.GetProperty("at").GetDateTimeOffset() > start)];
        Assert.Contains(since, x => x.GetProperty("ingest_rate").GetDouble() > 0);
        JsonElement timed = since.First(x => x.GetProperty("ingest_p50_ms").ValueKind == JsonValueKind.Number);
        Assert.True(timed.GetProperty("ingest_p99_ms").GetDouble() >= timed.GetProperty("ingest_p50_ms").GetDouble(), timed.ToString());
        Assert.Contains(since, x => x.GetProperty("commit_size_avg").ValueKind == JsonValueKind.Number && x.GetProperty("commit_size_avg").GetDouble() >= 1);
    }

    [Fact]
    public async Task A_subscription_opens_with_its_usage_quotas_and_invoices_for_its_tenant_only()
    {
        (string tenant, _, HttpClient client) = await app.NewTenantWithKeyAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_view", new { code = "tokens", event_type = "tokens", aggregation = "sum", value_property = "n" });
        Assert.Equal(200, (int)(await client.PutAsJsonAsync("/v1/subscriptions/sub_view/quotas/tokens", new { limit = "1000", period = "month", overflow = "block" })).StatusCode);
        var events = Enumerable.Range(1, 10).Select(i => new { idempotency_key = $"v-{i}", subject, event_type = "tokens", properties = new { n = i } });
        Assert.Equal(207, (await client.PostAsync("/v1/events/batch", new { events })).Status);
        Assert.Equal(201, (await client.PostAsync("/v1/invoices", new { subscription_id = "sub_view", period_start = DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-ddTHH:00:00Z") })).Status);

        (int status, JsonElement view) = await client.GetJsonAsync("/v1/dashboard/subscriptions/sub_view");
        Assert.Equal(200, status);
        JsonElement usage = view.GetProperty("meters").EnumerateArray().Single(m => m.Str("meter") == "tokens");
        Assert.Equal("55", usage.Str("value"));
        Assert.Equal(10, usage.GetProperty("events").GetInt32());
        Assert.Equal(55m, usage.GetProperty("windows").EnumerateArray().Sum(w => decimal.Parse(w.Str("value"), System.Globalization.CultureInfo.InvariantCulture)));
        JsonElement quota = view.GetProperty("quotas").EnumerateArray().Single();
        Assert.Equal("945", quota.Str("remaining"));
        Assert.Single(view.GetProperty("invoices").EnumerateArray());

        (int adminStatus, JsonElement adminView) = await app.Client(AppFixture.AdminKey).GetJsonAsync($"/admin/v1/dashboard/tenants/{tenant}/subscriptions/sub_view");
        Assert.Equal(200, adminStatus);
        Assert.Equal(view.GetProperty("meters").ToString(), adminView.GetProperty("meters").ToString());

        (int otherStatus, JsonElement other) = await (await app.NewTenantAsync()).GetJsonAsync("/v1/dashboard/subscriptions/sub_view");
        Assert.Equal(404, otherStatus);
        Assert.Equal("NOT_FOUND", other.Code());
        Assert.Equal(404, (await app.Client(AppFixture.AdminKey).GetJsonAsync("/admin/v1/dashboard/tenants/no_such_tenant/subscriptions/sub_view")).Status);
    }

    [Fact]
    public async Task Hot_grains_show_calls_and_a_tenant_sees_only_its_own()
    {
        (string tenant, string key, HttpClient client) = await app.NewTenantWithKeyAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_hot", new { code = "calls", event_type = "call", aggregation = "count" });
        for (int i = 0; i < 3; i++)
        {
            await client.PostAsync("/v1/events", new { idempotency_key = $"h-{i}", subject, event_type = "call" });
        }

        JsonElement mine = (await client.GetJsonAsync("/v1/dashboard/grains")).Body;
        JsonElement grain = mine.GetProperty("grains").EnumerateArray().Single(g => g.Str("type") == "ISubscriptionGrain");
        Assert.Equal($"{tenant}/sub_hot", grain.Str("key"));
        Assert.Equal("sub_hot", grain.Str("subscription_id"));
        Assert.True(grain.GetProperty("calls").GetInt64() >= 3);

        (string otherTenant, _, HttpClient other) = await app.NewTenantWithKeyAsync();
        JsonElement theirs = (await other.GetJsonAsync("/v1/dashboard/grains")).Body;
        Assert.DoesNotContain(tenant, theirs.ToString());

        JsonElement all = (await app.Client(AppFixture.AdminKey).GetJsonAsync("/admin/v1/dashboard/grains")).Body;
        Assert.All(all.GetProperty("grains").EnumerateArray(), g => Assert.NotEqual(otherTenant, g.GetProperty("tenant_id").GetString()));
        Assert.NotEmpty(all.GetProperty("grains").EnumerateArray());
    }

    [Fact]
    public async Task Billing_runs_and_rerating_jobs_are_listed_with_their_progress()
    {
        (string tenant, _, HttpClient client) = await app.NewTenantWithKeyAsync();
        await client.SetUpSubscriptionAsync("sub_jobs", startedAt: DateTimeOffset.UtcNow.AddMonths(-2).ToString("yyyy-MM-ddTHH:00:00Z"));
        string run = (await client.PostAsync("/v1/billing-runs", new { period_end_before = DateTimeOffset.UtcNow.ToString("O") })).Body.Str("id");
        string job = (await client.PostAsync("/v1/rerating-jobs", new { customer_ids = new[] { "cust_1" }, from = "2001-01-01T00:00:00Z", to = "2001-01-02T00:00:00Z" })).Body.Str("id");

        JsonElement listed = default;
        for (int attempt = 0; attempt < 100; attempt++)
        {
            listed = (await client.GetJsonAsync("/v1/dashboard/jobs")).Body;
            if (listed.GetProperty("billing_runs").EnumerateArray().Single().Str("status") == "completed")
            {
                break;
            }

            await Task.Delay(100);
        }

        JsonElement r = listed.GetProperty("billing_runs").EnumerateArray().Single();
        Assert.Equal(run, r.Str("id"));
        Assert.Equal("completed", r.Str("status"));
        Assert.Equal(r.GetProperty("total").GetInt32(), r.GetProperty("done").GetInt32());
        Assert.True(r.GetProperty("created").GetInt32() >= 1);
        Assert.Equal(job, listed.GetProperty("rerating_jobs").EnumerateArray().Single().Str("id"));

        JsonElement all = (await app.Client(AppFixture.AdminKey).GetJsonAsync("/admin/v1/dashboard/jobs")).Body;
        Assert.Contains(all.GetProperty("billing_runs").EnumerateArray(), x => x.Str("id") == run && x.Str("tenant_id") == tenant);
    }
}
