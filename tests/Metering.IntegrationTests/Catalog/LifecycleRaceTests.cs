using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
using Npgsql;

namespace Metering.IntegrationTests.Catalog;

/// <summary>Lifecycle changes racing with ingest and with invoice creation, the races forced with <see cref="TableGate"/>:
/// no event counted in two periods or none, no invoice made twice or for a period the change removed.</summary>
[Collection(AppCollection.Name)]
public sealed class LifecycleRaceTests(AppFixture app)
{
    private static readonly DateTimeOffset s_start = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero).AddDays(-3);

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ");

    private async Task<(HttpClient Client, string Tenant, string Subject)> WeeklyAsync()
    {
        (string tenant, _, HttpClient client) = await app.NewTenantWithKeyAsync();
        await client.PostAsync("/v1/meters", new { code = "calls", event_type = "call", aggregation = "count" });
        await client.PostAsync("/v1/customers", new { id = "cust_1", currency = "USD" });
        await client.PostAsync("/v1/plans", new { code = "weekly", currency = "USD", interval = "week", fixed_fee = "70", proration = "daily" });
        await client.PostAsync("/v1/plans/weekly/prices", new { meter = "calls", model = "per_unit", properties = new { unit_price = "1" }, effective_from = "2020-01-01T00:00:00Z" });
        string subject = "agent:" + Guid.NewGuid().ToString("N");
        Assert.Equal(201, (await client.PostAsync("/v1/subscriptions", new { id = "sub_1", customer_id = "cust_1", plan = "weekly", started_at = Iso(s_start), subjects = new[] { subject } })).Status);
        return (client, tenant, subject);
    }

    private async Task<long> StoredEventsAsync(string tenant, DateTimeOffset before)
    {
        await using NpgsqlConnection db = await app.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM events WHERE tenant_id = $1 AND subscription_id = 'sub_1' AND ts < $2", db);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = before });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_cancel_while_events_are_being_committed_ends_after_every_accepted_event_and_refuses_every_later_one()
    {
        (HttpClient client, string tenant, string subject) = await WeeklyAsync();
        using (client)
        {
            Task<(int Status, JsonElement Body)>[] inFlight;
            Task<(int Status, JsonElement Body)> cancel;
            await using (TableGate gate = await TableGate.HoldAsync(app, "events"))
            {
                // Events whose commit waits at the gate, one stamped a minute ahead of the clock...
                inFlight =
                [
                    client.PostAsync("/v1/events", new { idempotency_key = "in-flight-1", subject, event_type = "call" }),
                    client.PostAsync("/v1/events", new { idempotency_key = "in-flight-2", subject, event_type = "call", timestamp = Iso(DateTimeOffset.UtcNow.AddMinutes(1)) }),
                ];
                await gate.WaitForWaitersAsync(1);
                // ... and a cancel "now" that arrives meanwhile: it waits for them, then ends after the newest.
                cancel = client.PostAsync("/v1/subscriptions/sub_1/cancel", new { at = "now" });
                await Task.Delay(200);
                Assert.False(cancel.IsCompleted);
                await gate.ReleaseAsync();
            }

            (int Status, JsonElement Body)[] events = await Task.WhenAll(inFlight);
            Assert.All(events, e => Assert.Equal(201, e.Status));
            (int status, JsonElement canceled) = await cancel;
            Assert.True(status == 200, canceled.ToString());
            DateTimeOffset end = DateTimeOffset.Parse(canceled.Str("ended_at"));
            Assert.True(end > DateTimeOffset.UtcNow.AddSeconds(30), $"the end {end:O} is not after the event stamped a minute ahead");
            Assert.Equal("SUBSCRIPTION_ENDED", (await client.PostAsync("/v1/events", new { idempotency_key = "after", subject, event_type = "call", timestamp = Iso(end) })).Body.Code());

            // Both accepted events are in the last period, and counted once.
            Assert.Equal(2, await StoredEventsAsync(tenant, end));
            (int created, JsonElement invoice) = await client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(s_start) });
            Assert.True(created == 201, invoice.ToString());
            Assert.Equal(end, DateTimeOffset.Parse(invoice.Str("period_end")));
            Assert.Equal("2", invoice.GetProperty("line_items").EnumerateArray().Single(l => l.TryGetProperty("meter", out _)).Str("quantity"));
        }
    }

    [Fact]
    public async Task An_invoice_priced_before_a_cancel_and_inserted_after_it_is_priced_again_for_the_cut_period_once()
    {
        (HttpClient client, _, string subject) = await WeeklyAsync();
        using (client)
        {
            Assert.Equal(201, (await client.PostAsync("/v1/events", new { idempotency_key = "e1", subject, event_type = "call", timestamp = Iso(s_start.AddHours(1)) })).Status);
            Task<(int Status, JsonElement Body)> invoice;
            Task<(int Status, JsonElement Body)> cancel;
            await using (TableGate gate = await TableGate.HoldAsync(app, "invoices"))
            {
                // The invoice of the current (whole) period is priced, and its insert waits at the gate...
                invoice = client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(s_start) });
                await gate.WaitForWaitersAsync(1);
                // ... while a cancel ends the subscription, cutting that period (it waits at the gate to cut drafts).
                cancel = client.PostAsync("/v1/subscriptions/sub_1/cancel", new { at = "now" });
                await gate.WaitForWaitersAsync(2);
                await gate.ReleaseAsync();
            }

            (int cancelStatus, JsonElement canceled) = await cancel;
            Assert.True(cancelStatus == 200, canceled.ToString());
            DateTimeOffset end = DateTimeOffset.Parse(canceled.Str("ended_at"));
            (int status, JsonElement created) = await invoice;
            Assert.True(status == 201, created.ToString());

            JsonElement[] invoices = (await client.GetJsonAsync("/v1/invoices?subscription_id=sub_1")).Body.GetProperty("data").EnumerateArray().Where(i => i.Str("status") != "voided").ToArray();
            JsonElement only = Assert.Single(invoices);
            Assert.Equal(end, DateTimeOffset.Parse(only.Str("period_end")));
            int daysBegun = (int)Math.Ceiling((end - s_start).TotalDays);
            decimal fee = Math.Round(70m * daysBegun / 7, 2, MidpointRounding.AwayFromZero);
            Assert.Equal((fee + 1).ToString("F2"), only.Str("subtotal"));
        }
    }

    [Fact]
    public async Task A_plan_change_committed_while_a_billing_run_inserts_its_invoices_splits_each_period_it_reaches_and_invoices_each_once()
    {
        (string _, _, HttpClient client) = await app.NewTenantWithKeyAsync();
        using (client)
        {
            await client.PostAsync("/v1/meters", new { code = "calls", event_type = "call", aggregation = "count" });
            await client.PostAsync("/v1/customers", new { id = "cust_1", currency = "USD" });
            foreach ((string code, string fee, string price) in new[] { ("dbasic", "24", "1"), ("dpro", "48", "0.5") })
            {
                await client.PostAsync("/v1/plans", new { code, currency = "USD", interval = "day", fixed_fee = fee, proration = "daily" });
                await client.PostAsync($"/v1/plans/{code}/prices", new { meter = "calls", model = "per_unit", properties = new { unit_price = price }, effective_from = "2020-01-01T00:00:00Z" });
            }

            string subject = "agent:" + Guid.NewGuid().ToString("N");
            Assert.Equal(201, (await client.PostAsync("/v1/subscriptions", new { id = "sub_1", customer_id = "cust_1", plan = "dbasic", started_at = Iso(s_start), subjects = new[] { subject } })).Status);
            foreach (DateTimeOffset at in new[] { s_start.AddHours(26), s_start.AddHours(26), s_start.AddHours(38), s_start.AddHours(38) })
            {
                Assert.Equal(201, (await client.PostAsync("/v1/events", new { idempotency_key = Guid.NewGuid().ToString(), subject, event_type = "call", timestamp = Iso(at) })).Status);
            }

            string run;
            await using (TableGate gate = await TableGate.HoldAsync(app, "invoices"))
            {
                // The run prices the three ended days on dbasic; their inserts wait at the gate...
                run = (await client.PostAsync("/v1/billing-runs", new { period_end_before = Iso(s_start.AddDays(3)) })).Body.Str("id");
                await gate.WaitForWaitersAsync(3);
                // ... while the plan changes to dpro from the middle of the second day on.
                (int status, JsonElement changed) = await client.PostAsync("/v1/subscriptions/sub_1/change-plan", new { plan = "dpro", at = Iso(s_start.AddHours(36)) });
                Assert.True(status == 200, changed.ToString());
                await gate.ReleaseAsync();
            }

            for (int i = 0; i < 200 && (await client.GetJsonAsync($"/v1/billing-runs/{run}")).Body.Str("status") != "completed"; i++)
            {
                await Task.Delay(50);
            }

            JsonElement done = (await client.GetJsonAsync($"/v1/billing-runs/{run}")).Body;
            Assert.Equal(3, done.GetProperty("created").GetInt32());
            Assert.Equal(0, done.GetProperty("failed").GetInt32());
            JsonElement[] invoices = [.. (await client.GetJsonAsync("/v1/invoices?subscription_id=sub_1")).Body.GetProperty("data").EnumerateArray().OrderBy(i => i.Str("period_start"))];
            Assert.Equal(["24.00", "39.00", "48.00"], invoices.Select(i => i.Str("subtotal")));
            Assert.Equal(4, invoices[1].GetProperty("line_items").GetArrayLength());
            Assert.Equal(["dbasic", "dbasic", "dpro"], invoices.Select(i => i.Str("plan")));
        }
    }
}
