using System.Net.Http.Json;
using System.Text.Json;
using Metering.Grains.Pricing;
using Metering.IntegrationTests.Infrastructure;
using Metering.Silo.Billing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Metering.IntegrationTests;

[Collection(AppCollection.Name)]
public sealed class BillingTests(AppFixture app)
{
    private static readonly object s_tokens = new { code = "llm_tokens", event_type = "llm_tokens", aggregation = "sum", value_property = "tokens" };
    private static readonly object s_calls = new { code = "calls", event_type = "api_call", aggregation = "count" };

    private static readonly object s_graduated = new
    {
        tiers = new object[]
        {
            new { up_to = 1000, unit_price = "0.01", flat_fee = "0" },
            new { up_to = 10000, unit_price = "0.008" },
            new { up_to = (int?)null, unit_price = "0.005" },
        },
    };

    /// <summary>The first day of the month two months back: the subscription has one ended period and the current one.</summary>
    private static DateTimeOffset StartedAt()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(-1);
    }

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:ssZ");

    private static async Task<string> SetUpAsync(HttpClient client, string subscription, string fixedFee = "0", string plan = "metered", string customer = "cust_1", DateTimeOffset? startedAt = null, string interval = "month")
    {
        await client.PostAsync("/v1/meters", s_tokens);
        await client.PostAsync("/v1/meters", s_calls);
        await client.PostAsync("/v1/customers", new { id = customer, name = "Acme", currency = "USD", tax_rate = "0.20" });
        await client.PostAsync("/v1/plans", new { code = plan, currency = "USD", interval, fixed_fee = fixedFee });
        string subject = $"agent:{subscription}:{Guid.NewGuid():N}";
        (int status, JsonElement body) = await client.PostAsync("/v1/subscriptions", new { id = subscription, customer_id = customer, plan, started_at = Iso(startedAt ?? StartedAt()), subjects = new[] { subject } });
        Assert.True(status == 201, body.ToString());
        return subject;
    }

    private static async Task PriceAsync(HttpClient client, string meter, string model, object properties, string plan = "metered", DateTimeOffset? from = null)
    {
        (int status, JsonElement body) = await client.PostAsync($"/v1/plans/{plan}/prices", new { meter, model, properties, effective_from = Iso(from ?? StartedAt().AddYears(-1)) });
        Assert.True(status == 201, body.ToString());
    }

    private static async Task SendAsync(HttpClient client, string subject, int count, object properties, string eventType = "llm_tokens", DateTimeOffset? timestamp = null)
    {
        for (int i = 0; i < count; i++)
        {
            (int status, JsonElement body) = await client.PostAsync("/v1/events", new
            {
                idempotency_key = "e-" + Guid.NewGuid(),
                subject,
                event_type = eventType,
                timestamp = timestamp is { } t ? Iso(t) : null,
                properties,
            });
            Assert.True(status == 201, body.ToString());
        }
    }

    private static async Task<JsonElement> OkAsync(Task<(int Status, JsonElement Body)> call, int expected = 200)
    {
        (int status, JsonElement body) = await call;
        Assert.True(status == expected, $"{status} {body}");
        return body;
    }

    [Fact]
    public async Task Pricing_preview_gives_the_amount_and_the_breakdown()
    {
        using HttpClient client = await app.NewTenantAsync();
        JsonElement graduated = await OkAsync(client.PostAsync("/v1/pricing/preview", new { model = "graduated", properties = s_graduated, quantity = "15000", events = 10 }));
        Assert.Equal("107", graduated.Str("amount"));
        JsonElement[] tiers = graduated.GetProperty("breakdown").EnumerateArray().ToArray();
        Assert.Equal(3, tiers.Length);
        Assert.Equal(("0", "1000", "1000", "0.01", "10"), (tiers[0].Str("from"), tiers[0].Str("to"), tiers[0].Str("quantity"), tiers[0].Str("unit_price"), tiers[0].Str("amount")));
        Assert.Equal(JsonValueKind.Null, tiers[2].GetProperty("to").ValueKind);

        Assert.Equal("75", (await OkAsync(client.PostAsync("/v1/pricing/preview", new { model = "volume", properties = s_graduated, quantity = 15000 }))).Str("amount"));
        Assert.Equal("62", (await OkAsync(client.PostAsync("/v1/pricing/preview", new { model = "package", properties = new { package_size = 1000, package_price = "50.00", overage_unit_price = "0.06" }, quantity = "1200" }))).Str("amount"));
        Assert.Equal("30", (await OkAsync(client.PostAsync("/v1/pricing/preview", new { model = "per_unit", properties = new { unit_price = "0.002" }, quantity = 15000 }))).Str("amount"));

        (int status, JsonElement problem) = await client.PostAsync("/v1/pricing/preview", new { model = "graduated", properties = new { tiers = new[] { new { up_to = 5, unit_price = "1" } } }, quantity = 1 });
        Assert.Equal((400, "INVALID_REQUEST"), (status, problem.Code()));
        Assert.True(problem.GetProperty("errors").TryGetProperty("properties.tiers[0].up_to", out _), problem.ToString());
        (status, problem) = await client.PostAsync("/v1/pricing/preview", new { model = "tiered", properties = new { }, quantity = 1 });
        Assert.Equal((400, "INVALID_REQUEST"), (status, problem.Code()));
    }

    [Fact]
    public async Task An_invoice_is_frozen_only_under_the_fence_of_the_silo_that_closed_its_period()
    {
        (string tenant, _, HttpClient client) = await app.NewTenantWithKeyAsync();
        string subject = await SetUpAsync(client, "sub_1");
        await SendAsync(client, subject, 2, new { tokens = 100 }, timestamp: StartedAt().AddMonths(1).AddHours(-1));
        string id = (await OkAsync(client.PostAsync("/v1/invoices", new { subscription_id = "sub_1" }), 201)).Str("id");
        var store = app.Services.GetRequiredService<BillingStore>();
        var partitions = app.Services.GetRequiredService<Metering.Runtime.PartitionTable>();
        Metering.Runtime.FencingToken fence = partitions.GetFence(partitions.PartitionOf($"{tenant}/sub_1"));
        InvoiceStatus[] open = [InvoiceStatus.Draft];

        // A silo whose epoch is stale (the partition moved to another, or it was paused past its lease) freezes nothing.
        Assert.False(await store.SetStatusAsync(tenant, Guid.Parse(id), InvoiceStatus.Finalized, open, DateTimeOffset.UtcNow, default, fence with { Epoch = fence.Epoch - 1 }));
        Assert.False(await store.SetStatusAsync(tenant, Guid.Parse(id), InvoiceStatus.Finalized, open, DateTimeOffset.UtcNow, default, fence with { SiloId = "another" }));
        Assert.Equal("draft", (await OkAsync(client.GetJsonAsync($"/v1/invoices/{id}"))).Str("status"));
        Assert.True(await store.SetStatusAsync(tenant, Guid.Parse(id), InvoiceStatus.Finalized, open, DateTimeOffset.UtcNow, default, fence));
        Assert.Equal("finalized", (await OkAsync(client.GetJsonAsync($"/v1/invoices/{id}"))).Str("status"));
    }

    [Fact]
    public async Task Price_book_entries_may_not_overlap_and_racing_entries_leave_one()
    {
        using HttpClient client = await app.NewTenantAsync();
        await SetUpAsync(client, "sub_1");
        object Entry(string from, string? to) => new { meter = "llm_tokens", model = "per_unit", properties = new { unit_price = "0.001" }, effective_from = from, effective_to = to };

        await OkAsync(client.PostAsync("/v1/plans/metered/prices", Entry("2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z")), 201);
        (int status, JsonElement body) = await client.PostAsync("/v1/plans/metered/prices", Entry("2026-02-01T00:00:00Z", null));
        Assert.Equal((409, "PRICE_OVERLAP"), (status, body.Code()));
        await OkAsync(client.PostAsync("/v1/plans/metered/prices", Entry("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")), 201); // adjacent: fine

        // Ten racing requests for the same open-ended range: PostgreSQL keeps exactly one.
        (int Status, JsonElement Body)[] race = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.PostAsync("/v1/plans/metered/prices", Entry("2026-06-01T00:00:00Z", null))));
        Assert.Equal(1, race.Count(r => r.Status == 201));
        Assert.All(race.Where(r => r.Status != 201), r => Assert.Equal("PRICE_OVERLAP", r.Body.Code()));

        JsonElement list = await OkAsync(client.GetJsonAsync("/v1/plans/metered/prices"));
        Assert.Equal(3, list.GetProperty("data").GetArrayLength());
        Assert.Equal((404, "NOT_FOUND"), await Code(client.PostAsync("/v1/plans/nope/prices", Entry("2026-01-01T00:00:00Z", null))));
        Assert.Equal((404, "NOT_FOUND"), await Code(client.PostAsync("/v1/plans/metered/prices", new { meter = "nope", model = "flat", properties = new { amount = 1 }, effective_from = "2026-01-01T00:00:00Z" })));
        Assert.Equal((400, "INVALID_REQUEST"), await Code(client.PostAsync("/v1/plans/metered/prices", Entry("2026-09-01T00:00:00Z", "2026-08-01T00:00:00Z"))));

        JsonElement audit = await OkAsync(client.GetJsonAsync("/v1/audit-events?action=price.created"));
        Assert.Equal(3, audit.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Many_racing_price_entries_for_one_meter_never_deadlock()
    {
        // Conflicting inserts under an exclusion constraint can wait on each other inside PostgreSQL (deadlock_detected);
        // the store serialises entries per (tenant, plan, meter) so each loser sees the winner and gets an overlap.
        (string tenant, _, HttpClient http) = await app.NewTenantWithKeyAsync();
        using HttpClient client = http;
        await SetUpAsync(client, "sub_1");
        BillingStore store = app.Services.GetRequiredService<BillingStore>();
        var price = new PriceSpec(ChargeModel.PerUnit, UnitPrice: 0.001m);
        for (int round = 0; round < 6; round++)
        {
            DateTimeOffset from = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(round);

            // All thirty inserts queue up on the held table, then go at once.
            await using TableGate gate = await TableGate.HoldAsync(app, "prices");
            Task<PriceInsert[]> racing = Task.WhenAll(Enumerable.Range(0, 30).Select(i => Task.Run(() => store.InsertPriceAsync(tenant,
                new PriceEntry(Guid.NewGuid(), "metered", "llm_tokens", price, """{"unit_price":"0.001"}""", from.AddMinutes(i), from.AddMonths(1), from)))));
            await gate.WaitForWaitersAsync(30);
            await gate.ReleaseAsync();
            PriceInsert[] results = await racing;
            Assert.Equal(1, results.Count(r => r == PriceInsert.Created));
            Assert.Equal(29, results.Count(r => r == PriceInsert.Overlap));
        }

        Assert.Equal(6, (await store.PricesAsync(tenant, "metered")).Count);
    }

    private static async Task<(int, string)> Code(Task<(int Status, JsonElement Body)> call)
    {
        (int status, JsonElement body) = await call;
        return (status, body.Code());
    }

    [Fact]
    public async Task Invoice_of_10_events_of_1500_tokens_at_0_00002_is_0_30_plus_tax()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await SetUpAsync(client, "sub_1");
        await PriceAsync(client, "llm_tokens", "per_unit", new { unit_price = "0.00002" });
        DateTimeOffset lastPeriod = StartedAt();
        await SendAsync(client, subject, 10, new { tokens = 1500 }, timestamp: lastPeriod.AddMonths(1).AddHours(-2));

        JsonElement invoice = await OkAsync(client.PostAsync("/v1/invoices", new { subscription_id = "sub_1" }), 201);
        Assert.Equal("draft", invoice.Str("status"));
        Assert.Equal(lastPeriod, DateTimeOffset.Parse(invoice.Str("period_start")));
        Assert.Equal(lastPeriod.AddMonths(1), DateTimeOffset.Parse(invoice.Str("period_end")));
        JsonElement line = Assert.Single(invoice.GetProperty("line_items").EnumerateArray());
        Assert.Equal("llm_tokens", line.Str("meter"));
        Assert.Equal("15000", line.Str("quantity"));
        Assert.Equal("0.30", line.Str("amount"));
        Assert.Equal("0.30", invoice.Str("subtotal"));
        Assert.Equal("0.2", invoice.Str("tax_rate"));
        Assert.Equal("0.06", invoice.Str("tax"));
        Assert.Equal("0.36", invoice.Str("total"));
        Assert.Equal("USD", invoice.Str("currency"));

        // The plan's meters are the priced ones.
        JsonElement current = await OkAsync(client.GetJsonAsync("/v1/subscriptions/sub_1/usage/current"));
        Assert.Equal("llm_tokens", Assert.Single(current.GetProperty("meters").EnumerateArray()).Str("meter"));

        JsonElement fetched = await OkAsync(client.GetJsonAsync($"/v1/invoices/{invoice.Str("id")}"));
        Assert.Equal(invoice.Str("total"), fetched.Str("total"));
        JsonElement listed = await OkAsync(client.GetJsonAsync("/v1/invoices?subscription_id=sub_1&status=draft"));
        Assert.Equal(invoice.Str("id"), Assert.Single(listed.GetProperty("data").EnumerateArray()).Str("id"));
        Assert.Equal(0, (await OkAsync(client.GetJsonAsync("/v1/invoices?status=finalized"))).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Periods_starting_off_the_hour_bill_every_hour_once_and_usage_agrees_with_the_invoice()
    {
        // Usage is kept per hour: a period bills the hours from the one holding its start to the one holding its end.
        using HttpClient client = await app.NewTenantAsync();
        // Weekly periods, so the ended one is recent enough for events (at most 35 days old).
        DateTimeOffset now = DateTimeOffset.UtcNow, start = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 30, 0, TimeSpan.Zero).AddDays(-10), end = start.AddDays(7);
        string subject = await SetUpAsync(client, "sub_1", plan: "weekly", startedAt: start, interval: "week");
        await PriceAsync(client, "llm_tokens", "per_unit", new { unit_price = "1" }, plan: "weekly");
        await SendAsync(client, subject, 2, new { tokens = 100 }, timestamp: start.AddMinutes(10)); // the first, partial hour
        await SendAsync(client, subject, 1, new { tokens = 10 }, timestamp: start.AddHours(5));
        await SendAsync(client, subject, 3, new { tokens = 1000 }, timestamp: end.AddMinutes(-20)); // the hour holding the end: next period

        JsonElement invoice = await OkAsync(client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(start) }), 201);
        Assert.Equal("210", Assert.Single(invoice.GetProperty("line_items").EnumerateArray()).Str("quantity"));
        JsonElement last = await OkAsync(client.GetJsonAsync($"/v1/subscriptions/sub_1/usage?meter=llm_tokens&from={Iso(start.AddMinutes(-30))}&to={Iso(end.AddMinutes(-30))}"));
        Assert.Equal("210", last.Str("value"));
        JsonElement current = await OkAsync(client.GetJsonAsync("/v1/subscriptions/sub_1/usage/current"));
        Assert.Equal("3000", Assert.Single(current.GetProperty("meters").EnumerateArray()).Str("value"));
        Assert.Equal("3000", (await OkAsync(client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=llm_tokens"))).Str("value"));

        // Finalized: the period's hours are closed, and only those.
        await OkAsync(client.PostAsync($"/v1/invoices/{invoice.Str("id")}/finalize", new { }));
        (int status, JsonElement closed) = await client.PostAsync("/v1/events", new { idempotency_key = "late-1", subject, event_type = "llm_tokens", timestamp = Iso(start.AddMinutes(20)), properties = new { tokens = 5 } });
        Assert.Equal((409, "PERIOD_CLOSED"), (status, closed.Code()));
        await SendAsync(client, subject, 1, new { tokens = 1000 }, timestamp: end.AddMinutes(-10));
        Assert.Equal("4000", Assert.Single((await OkAsync(client.GetJsonAsync("/v1/subscriptions/sub_1/usage/current"))).GetProperty("meters").EnumerateArray()).Str("value"));
        JsonElement next = await OkAsync(client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(end) }), 201);
        Assert.Equal("4000", Assert.Single(next.GetProperty("line_items").EnumerateArray()).Str("quantity"));
    }

    [Fact]
    public async Task The_price_in_force_at_a_periods_start_prices_that_period()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await SetUpAsync(client, "sub_1");
        DateTimeOffset last = StartedAt(), current = StartedAt().AddMonths(1), change = StartedAt().AddDays(10);
        await OkAsync(client.PostAsync("/v1/plans/metered/prices", new { meter = "llm_tokens", model = "per_unit", properties = new { unit_price = "0.01" },
            effective_from = Iso(last.AddYears(-1)), effective_to = Iso(change) }), 201);
        await OkAsync(client.PostAsync("/v1/plans/metered/prices", new { meter = "llm_tokens", model = "per_unit", properties = new { unit_price = "1" },
            effective_from = Iso(change) }), 201);
        await SendAsync(client, subject, 1, new { tokens = 100 }, timestamp: current.AddDays(-1));
        await SendAsync(client, subject, 1, new { tokens = 100 });

        // The change fell inside last period: the entry in force at its start still prices all of it.
        JsonElement lastInvoice = await OkAsync(client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(last) }), 201);
        Assert.Equal("1.00", lastInvoice.Str("subtotal"));
        JsonElement currentInvoice = await OkAsync(client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(current) }), 201);
        Assert.Equal("100.00", currentInvoice.Str("subtotal"));
    }

    [Fact]
    public async Task Ten_concurrent_invoice_requests_for_one_period_create_exactly_one()
    {
        (string tenant, _, HttpClient http) = await app.NewTenantWithKeyAsync();
        using HttpClient client = http;
        string subject = await SetUpAsync(client, "sub_1", fixedFee: "99.00");
        await PriceAsync(client, "llm_tokens", "graduated", s_graduated);
        await SendAsync(client, subject, 3, new { tokens = 5000 }, timestamp: StartedAt().AddMonths(1).AddDays(-1));

        (int Status, JsonElement Body)[] answers = await Task.WhenAll(Enumerable.Range(0, 10)
            .Select(_ => client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(StartedAt()) })));
        JsonElement created = Assert.Single(answers, a => a.Status == 201).Body;
        Assert.All(answers.Where(a => a.Status != 201), a =>
        {
            Assert.Equal(409, a.Status);
            Assert.Equal("INVOICE_ALREADY_EXISTS", a.Body.Code());
            Assert.Equal(created.Str("id"), a.Body.Str("invoice_id"));
        });
        // 99.00 fixed + graduated(15,000) 107.00 = 206.00; tax 41.20.
        Assert.Equal(2, created.GetProperty("line_items").GetArrayLength());
        Assert.Equal("206.00", created.Str("subtotal"));
        Assert.Equal("247.20", created.Str("total"));

        await using NpgsqlConnection db = await app.OpenDatabaseAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM invoices WHERE tenant_id = $1", db) { Parameters = { new() { Value = tenant } } };
        Assert.Equal(1L, (long)(await count.ExecuteScalarAsync())!);

        Assert.Equal((400, "INVALID_REQUEST"), await Code(client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(StartedAt().AddDays(1)) })));
        Assert.Equal((400, "INVALID_REQUEST"), await Code(client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(StartedAt().AddMonths(5)) })));
        Assert.Equal((404, "NOT_FOUND"), await Code(client.PostAsync("/v1/invoices", new { subscription_id = "nope" })));
    }

    [Fact]
    public async Task Late_events_are_included_by_refresh_until_finalization_then_get_period_closed()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await SetUpAsync(client, "sub_1");
        await PriceAsync(client, "llm_tokens", "per_unit", new { unit_price = "0.01" });
        DateTimeOffset inPeriod = StartedAt().AddMonths(1).AddHours(-1);
        await SendAsync(client, subject, 2, new { tokens = 100 }, timestamp: inPeriod);
        JsonElement draft = await OkAsync(client.PostAsync("/v1/invoices", new { subscription_id = "sub_1" }), 201);
        Assert.Equal("2.00", draft.Str("subtotal"));
        string id = draft.Str("id");

        // A late event: accepted while the invoice is a draft, and included when it is regenerated.
        await SendAsync(client, subject, 1, new { tokens = 50 }, timestamp: inPeriod);
        JsonElement refreshed = await OkAsync(client.PostAsync($"/v1/invoices/{id}/refresh", new { }));
        Assert.Equal("2.50", refreshed.Str("subtotal"));

        await SendAsync(client, subject, 1, new { tokens = 10 }, timestamp: inPeriod); // accepted before finalization: billed by it
        JsonElement finalized = await OkAsync(client.PostAsync($"/v1/invoices/{id}/finalize", new { }));
        Assert.Equal("finalized", finalized.Str("status"));
        Assert.Equal("2.60", finalized.Str("subtotal"));

        (int status, JsonElement closed) = await client.PostAsync("/v1/events", new { idempotency_key = "late-1", subject, event_type = "llm_tokens", timestamp = Iso(inPeriod), properties = new { tokens = 999 } });
        Assert.Equal((409, "PERIOD_CLOSED"), (status, closed.Code()));
        // An event of the current period is still accepted.
        await SendAsync(client, subject, 1, new { tokens = 1 });

        Assert.Equal("2.60", (await OkAsync(client.GetJsonAsync($"/v1/invoices/{id}"))).Str("subtotal"));
        JsonElement usage = await OkAsync(client.GetJsonAsync($"/v1/subscriptions/sub_1/usage?meter=llm_tokens&from={Iso(StartedAt())}&to={Iso(StartedAt().AddMonths(1))}"));
        Assert.Equal("260", usage.Str("value"));
        Assert.Equal((409, "INVOICE_NOT_DRAFT"), await Code(client.PostAsync($"/v1/invoices/{id}/refresh", new { })));
        Assert.Equal("finalized", (await OkAsync(client.PostAsync($"/v1/invoices/{id}/finalize", new { }))).Str("status")); // idempotent

        // Voiding reopens the period: events are accepted again and a new invoice may be generated.
        Assert.Equal("voided", (await OkAsync(client.PostAsync($"/v1/invoices/{id}/void", new { }))).Str("status"));
        Assert.Equal((409, "INVOICE_VOIDED"), await Code(client.PostAsync($"/v1/invoices/{id}/finalize", new { })));
        (status, _) = await client.PostAsync("/v1/events", new { idempotency_key = "late-1", subject, event_type = "llm_tokens", timestamp = Iso(inPeriod), properties = new { tokens = 999 } });
        Assert.Equal(201, status);
        JsonElement again = await OkAsync(client.PostAsync("/v1/invoices", new { subscription_id = "sub_1" }), 201);
        Assert.Equal("12.59", again.Str("subtotal"));

        JsonElement audit = await OkAsync(client.GetJsonAsync("/v1/audit-events"));
        string[] actions = audit.GetProperty("data").EnumerateArray().Select(e => e.Str("action")).ToArray();
        Assert.Equal(2, actions.Count(a => a == "invoice.created"));
        Assert.Equal(1, actions.Count(a => a == "invoice.finalized"));
        Assert.Equal(1, actions.Count(a => a == "invoice.voided"));
        Assert.Equal("invoice.created", actions[0]); // newest first
    }

    [Fact]
    public async Task Billing_run_creates_a_draft_per_ended_period_once_even_when_run_twice()
    {
        (string tenant, _, HttpClient http) = await app.NewTenantWithKeyAsync();
        using HttpClient client = http;
        string[] subjects = new string[3];
        for (int i = 0; i < 3; i++)
        {
            subjects[i] = await SetUpAsync(client, $"sub_{i}", fixedFee: "10.00");
            await SendAsync(client, subjects[i], i + 1, new { tokens = 100 }, timestamp: StartedAt().AddMonths(1).AddDays(-1));
        }

        await PriceAsync(client, "llm_tokens", "per_unit", new { unit_price = "0.01" });
        // One of the three already has its invoice: the run leaves it alone.
        await OkAsync(client.PostAsync("/v1/invoices", new { subscription_id = "sub_0" }), 201);

        async Task<JsonElement> RunAsync()
        {
            JsonElement started = await OkAsync(client.PostAsync("/v1/billing-runs", new { period_end_before = Iso(DateTimeOffset.UtcNow) }), 202);
            for (int attempt = 0; attempt < 200; attempt++)
            {
                JsonElement run = await OkAsync(client.GetJsonAsync($"/v1/billing-runs/{started.Str("id")}"));
                if (run.Str("status") == "completed")
                {
                    return run;
                }

                await Task.Delay(50);
            }

            throw new TimeoutException("the billing run did not complete");
        }

        JsonElement first = await RunAsync();
        Assert.Equal((2, 2, 0, 2), (first.GetProperty("total").GetInt32(), first.GetProperty("done").GetInt32(), first.GetProperty("failed").GetInt32(), first.GetProperty("created").GetInt32()));
        JsonElement second = await RunAsync();
        Assert.Equal(0, second.GetProperty("created").GetInt32());

        JsonElement drafts = await OkAsync(client.GetJsonAsync("/v1/invoices?status=draft"));
        var totals = drafts.GetProperty("data").EnumerateArray().ToDictionary(i => i.Str("subscription_id"), i => i.Str("subtotal"));
        Assert.Equal(new Dictionary<string, string> { ["sub_0"] = "11.00", ["sub_1"] = "12.00", ["sub_2"] = "13.00" }, totals);
        await using NpgsqlConnection db = await app.OpenDatabaseAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM invoices WHERE tenant_id = $1", db) { Parameters = { new() { Value = tenant } } };
        Assert.Equal(3L, (long)(await count.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Rerating_recomputes_drafts_adjusts_finalized_invoices_and_locks_its_scope()
    {
        using HttpClient client = await app.NewTenantAsync();
        string a = await SetUpAsync(client, "sub_a", customer: "cust_a");
        string b = await SetUpAsync(client, "sub_b", customer: "cust_b");
        await PriceAsync(client, "llm_tokens", "per_unit", new { unit_price = "0.01" });
        foreach (string subject in new[] { a, b })
        {
            await SendAsync(client, subject, 1, new { tokens = 1000 }, timestamp: StartedAt().AddMonths(1).AddDays(-1));
            await SendAsync(client, subject, 4, new { }, eventType: "api_call", timestamp: StartedAt().AddMonths(1).AddDays(-1));
        }

        JsonElement finalized = await OkAsync(client.PostAsync("/v1/invoices", new { subscription_id = "sub_a" }), 201);
        await OkAsync(client.PostAsync($"/v1/invoices/{finalized.Str("id")}/finalize", new { }));
        JsonElement draft = await OkAsync(client.PostAsync("/v1/invoices", new { subscription_id = "sub_b" }), 201);
        Assert.Equal("10.00", draft.Str("subtotal"));

        // A price for calls was missing from the book: it is added for the whole range, and the invoices re-rated.
        await PriceAsync(client, "calls", "per_unit", new { unit_price = "0.25" });
        string from = Iso(StartedAt()), to = Iso(StartedAt().AddMonths(1));
        JsonElement job = await OkAsync(client.PostAsync("/v1/rerating-jobs", new { customer_ids = new[] { "cust_a", "cust_b" }, from, to }), 202);
        Assert.Equal("pending", job.Str("status"));
        Assert.Equal((409, "RERATING_IN_PROGRESS"), await Code(client.PostAsync("/v1/rerating-jobs", new { customer_ids = new[] { "cust_b" }, from, to })));
        await OkAsync(client.PostAsync("/v1/rerating-jobs", new { customer_ids = new[] { "cust_other" }, from, to }), 202); // another scope

        JsonElement done = default;
        for (int attempt = 0; attempt < 200; attempt++)
        {
            done = await OkAsync(client.GetJsonAsync($"/v1/rerating-jobs/{job.Str("id")}"));
            if (done.Str("status") is "completed" or "failed")
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.Equal("completed", done.Str("status"));
        Assert.Equal(1, done.GetProperty("recomputed").GetInt32());
        Assert.Equal(1, done.GetProperty("adjustments").GetInt32());
        Assert.Equal("11.00", (await OkAsync(client.GetJsonAsync($"/v1/invoices/{draft.Str("id")}"))).Str("subtotal"));
        Assert.Equal("10.00", (await OkAsync(client.GetJsonAsync($"/v1/invoices/{finalized.Str("id")}"))).Str("subtotal"));
        JsonElement adjustment = (await OkAsync(client.GetJsonAsync("/v1/invoices?subscription_id=sub_a"))).GetProperty("data").EnumerateArray()
            .Single(i => i.Str("kind") == "adjustment");
        Assert.Equal(finalized.Str("id"), adjustment.Str("adjusts"));
        Assert.Equal("1.00", adjustment.Str("subtotal"));
        Assert.Equal("1.20", adjustment.Str("total"));
        Assert.Equal("calls", Assert.Single(adjustment.GetProperty("line_items").EnumerateArray()).Str("meter"));

        // Done: a new job over the same scope is accepted, and changes nothing more.
        await OkAsync(client.PostAsync("/v1/rerating-jobs", new { customer_ids = new[] { "cust_a" }, from, to }), 202);
        JsonElement audit = await OkAsync(client.GetJsonAsync("/v1/audit-events?action=rerating.started"));
        Assert.Equal(3, audit.GetProperty("data").GetArrayLength());
    }
}
