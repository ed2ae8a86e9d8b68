using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests.Catalog;

/// <summary>Random lifecycles (create, events, change plan, cancel), billed by a billing run; every invoice is compared with an
/// independent recomputation from the events the test sent. Seeds are fixed, so a failure repeats.</summary>
[Collection(AppCollection.Name)]
public sealed class LifecyclePropertyTests(AppFixture app)
{
    private sealed record PlanModel(string Code, decimal Fee, bool Daily, decimal CallPrice, decimal TokenPrice);

    private sealed record SentEvent(DateTimeOffset At, bool IsCall, int Tokens);

    private static readonly PlanModel s_a = new("pa", 24m, true, 0.1m, 0.001m);
    private static readonly PlanModel s_b = new("pb", 10m, false, 0.2m, 0.002m);

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ");

    [Theory]
    [InlineData(11)]
    [InlineData(29)]
    [InlineData(47)]
    public async Task Every_invoice_of_random_lifecycles_equals_a_recomputation_from_the_events(int seed)
    {
        var random = new Random(seed);
        using HttpClient client = await app.NewTenantAsync();
        await client.PostAsync("/v1/meters", new { code = "calls", event_type = "call", aggregation = "count" });
        await client.PostAsync("/v1/meters", new { code = "tokens", event_type = "llm", aggregation = "sum", value_property = "tokens" });
        await client.PostAsync("/v1/customers", new { id = "cust", currency = "USD" });
        foreach (PlanModel plan in new[] { s_a, s_b })
        {
            await client.PostAsync("/v1/plans", new { code = plan.Code, currency = "USD", interval = "day", fixed_fee = plan.Fee.ToString(), proration = plan.Daily ? "daily" : "none" });
            await client.PostAsync($"/v1/plans/{plan.Code}/prices", new { meter = "calls", model = "per_unit", properties = new { unit_price = plan.CallPrice.ToString() }, effective_from = "2020-01-01T00:00:00Z" });
            await client.PostAsync($"/v1/plans/{plan.Code}/prices", new { meter = "tokens", model = "per_unit", properties = new { unit_price = plan.TokenPrice.ToString() }, effective_from = "2020-01-01T00:00:00Z" });
        }

        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset start = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-4);
        var lifecycles = new List<(string Id, List<SentEvent> Events, DateTimeOffset? Change, DateTimeOffset? End)>();
        for (int s = 0; s < 4; s++)
        {
            string id = $"sub_{seed}_{s}";
            string subject = $"agent:{id}";
            Assert.Equal(201, (await client.PostAsync("/v1/subscriptions", new { id, customer_id = "cust", plan = s_a.Code, started_at = Iso(start), subjects = new[] { subject } })).Status);
            var events = new List<SentEvent>();
            double span = (now.AddMinutes(-10) - start).TotalSeconds;
            for (int e = 0; e < 25; e++)
            {
                events.Add(new SentEvent(start.AddSeconds(Math.Floor(random.NextDouble() * span)), random.Next(2) == 0, random.Next(1, 5000)));
            }

            object Json(SentEvent e, int i) => e.IsCall
                ? new { idempotency_key = $"{id}-{i}", subject, event_type = "call", timestamp = Iso(e.At) }
                : new { idempotency_key = $"{id}-{i}", subject, event_type = "llm", timestamp = Iso(e.At), properties = new { tokens = e.Tokens } };
            (int batch, JsonElement results) = await client.PostAsync("/v1/events/batch", new { events = events.Select(Json).ToArray() });
            Assert.True(batch == 207 && results.GetProperty("succeeded").GetInt32() == events.Count, results.ToString());

            DateTimeOffset? change = null;
            if (random.NextDouble() < 0.75)
            {
                change = start.AddHours(1 + random.Next((int)(now - start).TotalHours - 1));
                (int status, JsonElement body) = await client.PostAsync($"/v1/subscriptions/{id}/change-plan", new { plan = s_b.Code, at = Iso(change.Value) });
                Assert.True(status == 200, body.ToString());
            }

            DateTimeOffset? end = null;
            if (random.NextDouble() < 0.6)
            {
                DateTimeOffset newest = events.Max(e => e.At);
                end = newest.AddSeconds(1 + Math.Floor(random.NextDouble() * (now.AddMinutes(-1) - newest).TotalSeconds));
                (int status, JsonElement body) = await client.PostAsync($"/v1/subscriptions/{id}/cancel", new { at = Iso(end.Value) });
                Assert.True(status == 200, body.ToString());
            }

            lifecycles.Add((id, events, change, end));
        }

        string run = (await client.PostAsync("/v1/billing-runs", new { period_end_before = Iso(now) })).Body.Str("id");
        for (int i = 0; i < 400 && (await client.GetJsonAsync($"/v1/billing-runs/{run}")).Body.Str("status") != "completed"; i++)
        {
            await Task.Delay(50);
        }

        foreach ((string id, List<SentEvent> events, DateTimeOffset? change, DateTimeOffset? end) in lifecycles)
        {
            JsonElement[] invoices = [.. (await client.GetJsonAsync($"/v1/invoices?subscription_id={id}&limit=500")).Body.GetProperty("data").EnumerateArray().OrderBy(i => i.Str("period_start"))];
            List<(DateTimeOffset Start, DateTimeOffset End, bool Last)> periods = Periods(start, now, end);
            Assert.Equal(periods.Select(p => (p.Start, p.End)), invoices.Select(i => (DateTimeOffset.Parse(i.Str("period_start")), DateTimeOffset.Parse(i.Str("period_end")))));
            for (int p = 0; p < periods.Count; p++)
            {
                (decimal subtotal, long calls, long tokens) = Expected(periods[p], events, change);
                JsonElement[] lines = [.. invoices[p].GetProperty("line_items").EnumerateArray()];
                string where = $"seed {seed}, {id}, period {periods[p].Start:O} (change {change:O}, end {end:O})";
                Assert.True(subtotal.ToString("F2") == invoices[p].Str("subtotal"), $"{where}: expected {subtotal:F2}, invoiced {invoices[p]}");
                Assert.Equal(calls, lines.Where(l => l.TryGetProperty("meter", out JsonElement m) && m.GetString() == "calls").Sum(l => decimal.Parse(l.Str("quantity"))));
                Assert.Equal(tokens, lines.Where(l => l.TryGetProperty("meter", out JsonElement m) && m.GetString() == "tokens").Sum(l => decimal.Parse(l.Str("quantity"))));
            }
        }
    }

    /// <summary>The daily periods ended by <paramref name="now"/>, the last cut at the end.</summary>
    private static List<(DateTimeOffset Start, DateTimeOffset End, bool Last)> Periods(DateTimeOffset start, DateTimeOffset now, DateTimeOffset? end)
    {
        var periods = new List<(DateTimeOffset, DateTimeOffset, bool)>();
        for (DateTimeOffset day = start; day.AddDays(1) <= now || (end is { } e && day < e); day = day.AddDays(1))
        {
            if (end is { } cut && cut <= day.AddDays(1))
            {
                periods.Add((day, cut, true));
                break;
            }

            periods.Add((day, day.AddDays(1), false));
        }

        return periods;
    }

    /// <summary>The period's subtotal, computed from the events: each part on its plan, each line rounded to cents.</summary>
    private static (decimal Subtotal, long Calls, long Tokens) Expected((DateTimeOffset Start, DateTimeOffset End, bool Last) period, List<SentEvent> events, DateTimeOffset? change)
    {
        var parts = new List<(DateTimeOffset From, DateTimeOffset To, PlanModel Plan, bool Last)>();
        if (change is { } c && c > period.Start && c < period.End)
        {
            parts.Add((period.Start, c, s_a, false));
            parts.Add((c, period.End, s_b, period.Last));
        }
        else
        {
            parts.Add((period.Start, period.End, change is { } c2 && c2 <= period.Start ? s_b : s_a, period.Last));
        }

        decimal subtotal = 0;
        long calls = 0, tokens = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            (DateTimeOffset from, DateTimeOffset to, PlanModel plan, bool last) = parts[i];
            List<SentEvent> inPart = events.Where(e => e.At >= from && e.At < to).ToList();
            long partCalls = inPart.Count(e => e.IsCall);
            long partTokens = inPart.Where(e => !e.IsCall).Sum(e => (long)e.Tokens);
            calls += partCalls;
            tokens += partTokens;
            decimal days = (decimal)(to - from).TotalHours / 24m;
            decimal fee = !plan.Daily ? (i == 0 ? plan.Fee : 0) : plan.Fee * Math.Min(1m, last ? Math.Ceiling(days) : days);
            subtotal += Cents(fee) + Cents(partCalls * plan.CallPrice) + Cents(partTokens * plan.TokenPrice);
        }

        return (subtotal, calls, tokens);
    }

    private static decimal Cents(decimal amount) => Math.Round(amount, 2, MidpointRounding.AwayFromZero);
}
