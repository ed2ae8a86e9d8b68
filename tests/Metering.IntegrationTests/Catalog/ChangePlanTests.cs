using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests.Catalog;

/// <summary><c>POST /v1/subscriptions/{id}/change-plan</c>: one invoice per period, its usage split at the change between the
/// old plan's book and the new one's; quotas carried over or reset.</summary>
[Collection(AppCollection.Name)]
public sealed class ChangePlanTests(AppFixture app)
{
    private static readonly DateTimeOffset s_start = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero).AddDays(-3);

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ");

    /// <summary>Weekly plans basic (fee 70, calls at 1) and pro (fee 140, calls at 0.5), both prorated by day, a monthly plan,
    /// and a subscription on basic started three days ago.</summary>
    internal static async Task<string> SetUpAsync(HttpClient client, string id = "sub_1")
    {
        await client.PostAsync("/v1/meters", new { code = "calls", event_type = "call", aggregation = "count" });
        await client.PostAsync("/v1/customers", new { id = "cust_1", currency = "USD" });
        foreach ((string code, string fee, string price, string interval) in new[] { ("basic", "70", "1", "week"), ("pro", "140", "0.5", "week"), ("monthly", "10", "1", "month") })
        {
            if ((await client.PostAsync("/v1/plans", new { code, currency = "USD", interval, fixed_fee = fee, proration = "daily" })).Status == 201)
            {
                await client.PostAsync($"/v1/plans/{code}/prices", new { meter = "calls", model = "per_unit", properties = new { unit_price = price }, effective_from = "2020-01-01T00:00:00Z" });
            }
        }

        string subject = "agent:" + Guid.NewGuid().ToString("N");
        Assert.Equal(201, (await client.PostAsync("/v1/subscriptions", new { id, customer_id = "cust_1", plan = "basic", started_at = Iso(s_start), subjects = new[] { subject } })).Status);
        return subject;
    }

    private static async Task CallsAsync(HttpClient client, string subject, int count, DateTimeOffset at)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(201, (await client.PostAsync("/v1/events", new { idempotency_key = Guid.NewGuid().ToString(), subject, event_type = "call", timestamp = Iso(at) })).Status);
        }
    }

    [Fact]
    public async Task Usage_before_the_change_is_priced_on_the_old_plan_and_after_it_on_the_new_one_in_one_invoice()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await SetUpAsync(client);
        await CallsAsync(client, subject, 3, s_start.AddHours(10));
        await CallsAsync(client, subject, 4, s_start.AddHours(30));
        (_, JsonElement draft) = await client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(s_start) });
        Assert.Equal("77.00", draft.Str("subtotal"));

        (int status, JsonElement changed) = await client.PostAsync("/v1/subscriptions/sub_1/change-plan", new { plan = "pro", at = Iso(s_start.AddDays(1)) });
        Assert.True(status == 200, changed.ToString());
        Assert.Equal("pro", changed.Str("plan"));
        Assert.Equal("pro", Assert.Single(changed.GetProperty("plan_changes").EnumerateArray()).Str("plan"));

        // The draft was priced again: basic for a day (70/7 and 3 calls at 1), pro for six (140*6/7 and 4 calls at 0.5).
        JsonElement invoice = (await client.GetJsonAsync($"/v1/invoices/{draft.Str("id")}")).Body;
        string[] amounts = invoice.GetProperty("line_items").EnumerateArray().Select(l => $"{l.Str("description")}={l.Str("amount")}").ToArray();
        Assert.Equal(["Plan basic: fixed fee on plan basic=10.00", "calls (per_unit) on plan basic=3.00", "Plan pro: fixed fee on plan pro=120.00", "calls (per_unit) on plan pro=2.00"], amounts);
        Assert.Equal("135.00", invoice.Str("subtotal"));
        JsonElement audit = Assert.Single((await client.GetJsonAsync("/v1/audit-events?action=subscription.plan_changed")).Body.GetProperty("data").EnumerateArray()).GetProperty("details");
        Assert.Equal("basic", audit.GetProperty("before").Str("plan"));
        Assert.Equal("pro", audit.GetProperty("after").Str("plan"));
        Assert.Equal(["sub_1"], (await client.GetJsonAsync("/v1/subscriptions?plan=pro")).Body.GetProperty("data").EnumerateArray().Select(s => s.Str("id")));
        Assert.Equal(0, (await client.GetJsonAsync("/v1/subscriptions?plan=basic")).Body.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task A_change_at_period_end_leaves_the_current_period_on_the_old_plan()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await SetUpAsync(client);
        await CallsAsync(client, subject, 2, s_start.AddHours(30));
        (_, JsonElement changed) = await client.PostAsync("/v1/subscriptions/sub_1/change-plan", new { plan = "pro", at = "period_end" });
        Assert.Equal("basic", changed.Str("plan"));
        Assert.Equal(s_start.AddDays(7), DateTimeOffset.Parse(Assert.Single(changed.GetProperty("plan_changes").EnumerateArray()).Str("at")));
        (_, JsonElement invoice) = await client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(s_start) });
        Assert.Equal("72.00", invoice.Str("subtotal"));
        Assert.Equal("basic", invoice.Str("plan"));

        // A later request replaces the scheduled change.
        (_, JsonElement now) = await client.PostAsync("/v1/subscriptions/sub_1/change-plan", new { plan = "pro", at = "now" });
        DateTimeOffset at = DateTimeOffset.Parse(Assert.Single(now.GetProperty("plan_changes").EnumerateArray()).Str("at"));
        Assert.True(at > DateTimeOffset.UtcNow && at <= DateTimeOffset.UtcNow.AddHours(1) && at.Minute == 0 && at.Second == 0, at.ToString("O"));
    }

    [Fact]
    public async Task Changes_the_plan_cannot_take_are_refused()
    {
        using HttpClient client = await app.NewTenantAsync();
        await SetUpAsync(client);
        Assert.Equal("PLAN_NOT_COMPATIBLE", (await client.PostAsync("/v1/subscriptions/sub_1/change-plan", new { plan = "monthly" })).Body.Code());
        Assert.Equal(404, (await client.PostAsync("/v1/subscriptions/sub_1/change-plan", new { plan = "nope" })).Status);
        Assert.Equal(404, (await client.PostAsync("/v1/subscriptions/nobody/change-plan", new { plan = "pro" })).Status);
        Assert.Equal("INVALID_REQUEST", (await client.PostAsync("/v1/subscriptions/sub_1/change-plan", new { plan = "basic" })).Body.Code());
        Assert.Equal("INVALID_REQUEST", (await client.PostAsync("/v1/subscriptions/sub_1/change-plan", new { plan = "pro", at = Iso(s_start.AddMinutes(30)) })).Body.Code());
        Assert.Equal("INVALID_REQUEST", (await client.PostAsync("/v1/subscriptions/sub_1/change-plan", new { plan = "pro", at = Iso(s_start) })).Body.Code());
        Assert.Equal("INVALID_REQUEST", (await client.PostAsync("/v1/subscriptions/sub_1/change-plan", new { plan = "pro", quotas = "keep" })).Body.Code());

        (_, JsonElement invoice) = await client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(s_start) });
        Assert.Equal(200, (await client.PostAsync($"/v1/invoices/{invoice.Str("id")}/finalize", new { })).Status);
        Assert.Equal("PERIOD_CLOSED", (await client.PostAsync("/v1/subscriptions/sub_1/change-plan", new { plan = "pro", at = Iso(s_start.AddDays(1)) })).Body.Code());
        Assert.Equal(200, (await client.PostAsync("/v1/subscriptions/sub_1/cancel", new { at = "period_end" })).Status);
        Assert.Equal("SUBSCRIPTION_ENDED", (await client.PostAsync("/v1/subscriptions/sub_1/change-plan", new { plan = "pro", at = Iso(s_start.AddDays(8)) })).Body.Code());
    }

    [Fact]
    public async Task Quotas_carry_over_where_the_new_plan_prices_the_meter_or_are_reset_as_asked()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await SetUpAsync(client);
        await client.PostAsync("/v1/meters", new { code = "extras", event_type = "extra", aggregation = "count" });
        await client.PostAsync("/v1/plans/basic/prices", new { meter = "extras", model = "per_unit", properties = new { unit_price = "1" }, effective_from = "2020-01-01T00:00:00Z" });
        foreach (string meter in new[] { "calls", "extras" })
        {
            Assert.Equal(200, (await client.SendJsonAsync(HttpMethod.Put, $"/v1/subscriptions/sub_1/quotas/{meter}", new { limit = 10, period = "none" })).Status);
            for (int i = 0; i < 3; i++)
            {
                Assert.True((await client.PostAsync("/v1/quotas/consume", new { subject, meter, amount = 1 })).Body.GetProperty("allowed").GetBoolean());
            }
        }

        async Task<string> Remaining(string meter) => (await client.GetJsonAsync($"/v1/subscriptions/sub_1/quotas/{meter}")).Body.Str("remaining");
        await client.PostAsync("/v1/subscriptions/sub_1/change-plan", new { plan = "pro", quotas = "carry_over" });
        Assert.Equal("7", await Remaining("calls"));   // pro prices calls: carried over
        Assert.Equal("10", await Remaining("extras")); // pro does not price extras: reset
        await client.PostAsync("/v1/quotas/consume", new { subject, meter = "extras", amount = 1 });
        await client.PostAsync("/v1/subscriptions/sub_1/change-plan", new { plan = "basic", quotas = "reset" });
        Assert.Equal("10", await Remaining("calls"));
        Assert.Equal("10", await Remaining("extras"));
    }
}
