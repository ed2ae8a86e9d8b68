using System.Diagnostics;
using System.Text.Json;
using Metering.Client;

/// <summary>Measures a billing run: N subscriptions, each with usage in its ended period, invoiced by one run; then the run
/// again, which must create nothing.</summary>
internal static class BillingRun
{
    public static async Task<int> RunAsync(Uri target, string adminKey, int count)
    {
        if (await LoadTenants.CreateAsync(target, adminKey, "bill_") is not { } apiKey)
        {
            return 1;
        }

        using var client = new MeteringClient(target, apiKey, new SocketsHttpHandler { MaxConnectionsPerServer = 64 });
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset thisMonth = new(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        DateTimeOffset started = thisMonth.AddMonths(-1);
        await client.PostAsync("/v1/meters", new { code = "tokens", event_type = "llm_tokens", aggregation = "sum", value_property = "tokens" });
        await client.PostAsync("/v1/customers", new { id = "c", currency = "USD", tax_rate = "0.2" });
        await client.PostAsync("/v1/plans", new { code = "p", currency = "USD", interval = "month", fixed_fee = "9.00" });
        await client.PostAsync("/v1/plans/p/prices", new { meter = "tokens", model = "graduated", effective_from = started.AddYears(-1).ToString("O"),
            properties = new { tiers = new object[] { new { up_to = 1000, unit_price = "0.01" }, new { up_to = (int?)null, unit_price = "0.005" } } } });

        var setup = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            (int s, JsonElement body) = await client.PostAsync("/v1/subscriptions", new { id = $"s{i}", customer_id = "c", plan = "p", started_at = started.ToString("O"), subjects = new[] { $"agent:{i}" } }, ct);
            if (s != 201)
            {
                throw new InvalidOperationException($"subscription {i}: {s} {body}");
            }
        });
        string timestamp = thisMonth.AddDays(-1).ToString("O");
        foreach (int[] chunk in Enumerable.Range(0, count).Chunk(1000))
        {
            (int s, JsonElement body) = await client.SendBatchAsync(chunk.Select(i => (object)new
            {
                idempotency_key = $"bill-{i}",
                subject = $"agent:{i}",
                event_type = "llm_tokens",
                timestamp,
                properties = new { tokens = 500 + (i % 1000) },
            }));
            if (s != 207 || body.GetProperty("succeeded").GetInt32() != chunk.Length)
            {
                throw new InvalidOperationException($"events: {s} {body}");
            }
        }

        Console.WriteLine($"setup: {count} subscriptions with one event each in their ended period, {setup.Elapsed.TotalSeconds:F1}s");
        foreach (string pass in new[] { "first", "again" })
        {
            var clock = Stopwatch.StartNew();
            (_, JsonElement run) = await client.PostAsync("/v1/billing-runs", new { period_end_before = now.ToString("O") });
            string id = run.GetProperty("id").GetString()!;
            JsonElement state;
            do
            {
                await Task.Delay(200);
                HttpResponseMessage response = await client.Http.GetAsync($"/v1/billing-runs/{id}");
                state = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            }
            while (state.GetProperty("status").GetString() != "completed" && clock.Elapsed < TimeSpan.FromMinutes(10));

            Console.WriteLine($"billing run ({pass}): status={state.GetProperty("status").GetString()} total={state.GetProperty("total").GetInt32()} "
                + $"created={state.GetProperty("created").GetInt32()} failed={state.GetProperty("failed").GetInt32()} in {clock.Elapsed.TotalSeconds:F1}s "
                + $"=> {state.GetProperty("created").GetInt32() / clock.Elapsed.TotalSeconds:F0} invoices/s");
        }

        HttpResponseMessage list = await client.Http.GetAsync("/v1/invoices?subscription_id=s7");
        Console.WriteLine($"sample invoice (s7): {await list.Content.ReadAsStringAsync()}");
        return 0;
    }
}
