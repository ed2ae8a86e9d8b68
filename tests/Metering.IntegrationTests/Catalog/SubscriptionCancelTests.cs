using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests.Catalog;

/// <summary><c>POST /v1/subscriptions/{id}/cancel</c>: the end refuses later events, stops quotas, frees subjects, and the last
/// partial period is invoiced on its own.</summary>
[Collection(AppCollection.Name)]
public sealed class SubscriptionCancelTests(AppFixture app)
{
    private static readonly DateTimeOffset s_weekStart = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero).AddDays(-3);

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ");

    /// <summary>A weekly plan (fixed fee 70, calls at 1 each) started three days ago, with one subject.</summary>
    private static async Task<string> WeeklyAsync(HttpClient client, string id, string proration = "none", string plan = "weekly")
    {
        await client.PostAsync("/v1/meters", new { code = "calls", event_type = "call", aggregation = "count" });
        await client.PostAsync("/v1/customers", new { id = "cust_1", currency = "USD" });
        if ((await client.PostAsync("/v1/plans", new { code = plan, currency = "USD", interval = "week", fixed_fee = "70", proration })).Status == 201)
        {
            await client.PostAsync($"/v1/plans/{plan}/prices", new { meter = "calls", model = "per_unit", properties = new { unit_price = "1" }, effective_from = "2020-01-01T00:00:00Z" });
        }

        string subject = $"agent:{id}:{Guid.NewGuid():N}";
        (int status, JsonElement body) = await client.PostAsync("/v1/subscriptions", new { id, customer_id = "cust_1", plan, started_at = Iso(s_weekStart), subjects = new[] { subject } });
        Assert.True(status == 201, body.ToString());
        return subject;
    }

    private static async Task<(int Status, JsonElement Body)> CallAsync(HttpClient client, string subject, string key, DateTimeOffset? at = null)
        => await client.PostAsync("/v1/events", new { idempotency_key = key, subject, event_type = "call", timestamp = at is { } t ? Iso(t) : null });

    [Fact]
    public async Task After_a_cancel_now_later_events_are_refused_earlier_ones_still_accepted_and_the_change_is_audited()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await WeeklyAsync(client, "sub_1");
        Assert.Equal(201, (await CallAsync(client, subject, "before")).Status);
        (int status, JsonElement canceled) = await client.PostAsync("/v1/subscriptions/sub_1/cancel", new { at = "now" });
        Assert.True(status == 200, canceled.ToString());
        Assert.Equal("ended", canceled.Str("status"));
        DateTimeOffset end = DateTimeOffset.Parse(canceled.Str("ended_at"));

        (int refused, JsonElement problem) = await CallAsync(client, subject, "after");
        Assert.Equal(409, refused);
        Assert.Equal("SUBSCRIPTION_ENDED", problem.Code());
        Assert.Equal(201, (await CallAsync(client, subject, "late", end.AddMinutes(-10))).Status);
        Assert.Equal("SUBSCRIPTION_ENDED", (await CallAsync(client, subject, "at-end", end)).Body.Code());

        (_, JsonElement again) = await client.PostAsync("/v1/subscriptions/sub_1/cancel", new { at = "now" });
        Assert.Equal("SUBSCRIPTION_ENDED", again.Code());
        JsonElement audit = Assert.Single((await client.GetJsonAsync("/v1/audit-events?action=subscription.canceled")).Body.GetProperty("data").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, audit.GetProperty("details").GetProperty("before").GetProperty("ended_at").ValueKind);
        Assert.Equal(end, DateTimeOffset.Parse(audit.GetProperty("details").GetProperty("after").GetProperty("ended_at").GetString()!));
        Assert.Equal("ended", (await client.GetJsonAsync("/v1/subscriptions/sub_1")).Body.Str("status"));
    }

    [Fact]
    public async Task A_cancel_at_period_end_keeps_the_subscription_until_then()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await WeeklyAsync(client, "sub_1");
        (_, JsonElement canceled) = await client.PostAsync("/v1/subscriptions/sub_1/cancel", new { at = "period_end" });
        Assert.Equal("active", canceled.Str("status"));
        Assert.Equal(s_weekStart.AddDays(7), DateTimeOffset.Parse(canceled.Str("ended_at")));
        Assert.Equal(201, (await CallAsync(client, subject, "now")).Status);
        Assert.Equal(["sub_1"], (await client.GetJsonAsync("/v1/subscriptions?status=active")).Body.GetProperty("data").EnumerateArray().Select(x => x.Str("id")));
    }

    [Theory]
    [InlineData("none", "70.00")]
    [InlineData("daily", "30.00")]
    public async Task The_last_partial_period_is_invoiced_on_its_own_with_the_fixed_fee_as_the_plan_says(string proration, string fee)
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await WeeklyAsync(client, "sub_1", proration);
        DateTimeOffset end = s_weekStart.AddHours(60); // two and a half days: three days begun of seven
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(201, (await CallAsync(client, subject, $"e{i}", end.AddHours(-1 - i))).Status);
        }

        (int status, JsonElement body) = await client.PostAsync("/v1/subscriptions/sub_1/cancel", new { at = Iso(end) });
        Assert.True(status == 200, body.ToString());
        Assert.Equal("SUBSCRIPTION_ENDED", (await CallAsync(client, subject, "after", end.AddMinutes(1))).Body.Code());

        (int created, JsonElement invoice) = await client.PostAsync("/v1/invoices", new { subscription_id = "sub_1" });
        Assert.True(created == 201, invoice.ToString());
        Assert.Equal(s_weekStart, DateTimeOffset.Parse(invoice.Str("period_start")));
        Assert.Equal(end, DateTimeOffset.Parse(invoice.Str("period_end")));
        JsonElement[] lines = invoice.GetProperty("line_items").EnumerateArray().ToArray();
        Assert.Equal(fee, lines.Single(l => !l.TryGetProperty("meter", out _)).Str("amount"));
        Assert.Equal("4", lines.Single(l => l.TryGetProperty("meter", out _)).Str("quantity"));
        Assert.Equal((decimal.Parse(fee) + 4m).ToString("F2"), invoice.Str("subtotal"));
        Assert.Equal("INVOICE_ALREADY_EXISTS", (await client.PostAsync("/v1/invoices", new { subscription_id = "sub_1" })).Body.Code());
        Assert.Equal("INVALID_REQUEST", (await client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(s_weekStart.AddDays(7)) })).Body.Code());
    }

    [Fact]
    public async Task A_billing_run_invoices_the_last_period_once_and_no_period_after_it()
    {
        using HttpClient client = await app.NewTenantAsync();
        await client.PostAsync("/v1/customers", new { id = "cust_1", currency = "USD" });
        await client.PostAsync("/v1/plans", new { code = "daily", currency = "USD", interval = "day", fixed_fee = "24", proration = "daily" });
        await client.PostAsync("/v1/subscriptions", new { id = "s", customer_id = "cust_1", plan = "daily", started_at = Iso(s_weekStart), subjects = new[] { "x" } });
        await client.PostAsync("/v1/subscriptions/s/cancel", new { at = Iso(s_weekStart.AddHours(30)) });
        for (int run = 0; run < 2; run++)
        {
            (_, JsonElement started) = await client.PostAsync("/v1/billing-runs", new { period_end_before = Iso(DateTimeOffset.UtcNow) });
            for (int i = 0; i < 100 && (await client.GetJsonAsync($"/v1/billing-runs/{started.Str("id")}")).Body.Str("status") != "completed"; i++)
            {
                await Task.Delay(50);
            }
        }

        JsonElement[] invoices = (await client.GetJsonAsync("/v1/invoices?subscription_id=s")).Body.GetProperty("data").EnumerateArray().OrderBy(i => i.Str("period_start")).ToArray();
        Assert.Equal(2, invoices.Length);
        Assert.Equal(s_weekStart.AddDays(1), DateTimeOffset.Parse(invoices[0].Str("period_end")));
        Assert.Equal("24.00", invoices[0].Str("subtotal"));
        Assert.Equal(s_weekStart.AddHours(30), DateTimeOffset.Parse(invoices[1].Str("period_end")));
        Assert.Equal("24.00", invoices[1].Str("subtotal")); // six hours begin a day: a whole day of one
    }

    [Fact]
    public async Task Quotas_stop_and_subjects_are_freed_for_another_subscription_after_the_end()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await WeeklyAsync(client, "old");
        Assert.Equal(200, (await client.SendJsonAsync(HttpMethod.Put, "/v1/subscriptions/old/quotas/calls", new { limit = 10, period = "day" })).Status);
        Assert.Equal(200, (await client.GetJsonAsync($"/v1/quotas/check?subject={subject}&meter=calls")).Status);
        DateTimeOffset end = DateTimeOffset.Parse((await client.PostAsync("/v1/subscriptions/old/cancel", new { at = "now" })).Body.Str("ended_at"));

        Assert.Equal("SUBSCRIPTION_ENDED", (await client.GetJsonAsync($"/v1/quotas/check?subject={subject}&meter=calls")).Body.Code());
        (int consumed, JsonElement problem) = await client.PostAsync("/v1/quotas/consume", new { subject, meter = "calls", amount = 1 });
        Assert.Equal(409, consumed);
        Assert.Equal("SUBSCRIPTION_ENDED", problem.Code());

        (int status, JsonElement created) = await client.PostAsync("/v1/subscriptions", new { id = "new", customer_id = "cust_1", plan = "weekly", started_at = Iso(end), subjects = new[] { subject } });
        Assert.True(status == 201, created.ToString());
        Assert.Equal(201, (await CallAsync(client, subject, "to-new")).Status);
        Assert.Equal(201, (await CallAsync(client, subject, "to-old", end.AddMinutes(-5))).Status);
        Assert.Equal(1, (await client.GetJsonAsync($"/v1/subscriptions/new/usage?meter=calls&from={Uri.EscapeDataString(Iso(s_weekStart))}&to={Uri.EscapeDataString(Iso(s_weekStart.AddDays(7)))}")).Body.GetProperty("events").GetInt32());
        Assert.Equal(1, (await client.GetJsonAsync($"/v1/subscriptions/old/usage?meter=calls&from={Uri.EscapeDataString(Iso(s_weekStart))}&to={Uri.EscapeDataString(Iso(s_weekStart.AddDays(7)))}")).Body.GetProperty("events").GetInt32());

        // A subject of a subscription that has not ended is still taken.
        (int taken, JsonElement conflict) = await client.PostAsync("/v1/subscriptions", new { id = "third", customer_id = "cust_1", plan = "weekly", subjects = new[] { subject } });
        Assert.Equal(409, taken);
        Assert.Equal("ALREADY_EXISTS", conflict.Code());
    }

    [Fact]
    public async Task A_cancel_is_refused_before_accepted_events_and_inside_a_finalized_period_and_a_draft_is_cut_at_the_end()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await WeeklyAsync(client, "sub_1");
        Assert.Equal(201, (await CallAsync(client, subject, "e1", s_weekStart.AddDays(2))).Status);
        (int status, JsonElement problem) = await client.PostAsync("/v1/subscriptions/sub_1/cancel", new { at = Iso(s_weekStart.AddDays(1)) });
        Assert.Equal(409, status);
        Assert.Equal("EVENTS_AFTER_END", problem.Code());
        Assert.Equal(201, (await CallAsync(client, subject, "e2", s_weekStart.AddDays(1))).Status);

        (_, JsonElement draft) = await client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(s_weekStart) });
        Assert.Equal(s_weekStart.AddDays(7), DateTimeOffset.Parse(draft.Str("period_end")));
        (_, JsonElement canceled) = await client.PostAsync("/v1/subscriptions/sub_1/cancel", new { at = "now" });
        DateTimeOffset end = DateTimeOffset.Parse(canceled.Str("ended_at"));
        JsonElement cut = (await client.GetJsonAsync($"/v1/invoices/{draft.Str("id")}")).Body;
        Assert.Equal(end, DateTimeOffset.Parse(cut.Str("period_end")));
        Assert.Equal("72.00", cut.Str("subtotal"));

        using HttpClient other = await app.NewTenantAsync();
        await WeeklyAsync(other, "sub_2");
        (_, JsonElement finalized) = await other.PostAsync("/v1/invoices", new { subscription_id = "sub_2", period_start = Iso(s_weekStart) });
        Assert.Equal(200, (await other.PostAsync($"/v1/invoices/{finalized.Str("id")}/finalize", new { })).Status);
        Assert.Equal("PERIOD_CLOSED", (await other.PostAsync("/v1/subscriptions/sub_2/cancel", new { at = "now" })).Body.Code());
        Assert.Equal("active", (await other.GetJsonAsync("/v1/subscriptions/sub_2")).Body.Str("status"));

        Assert.Equal(404, (await client.PostAsync("/v1/subscriptions/nobody/cancel", new { at = "now" })).Status);
        foreach (object bad in new object[] { new { at = "tomorrow" }, new { at = 5 }, new { at = "2026-13-01T00:00:00Z" } })
        {
            Assert.Equal("INVALID_REQUEST", (await client.PostAsync("/v1/subscriptions/sub_1/cancel", bad)).Body.Code());
        }
    }
}
