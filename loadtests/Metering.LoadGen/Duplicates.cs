using System.Diagnostics;
using System.Text.Json;
using Metering.Client;

/// <summary>The QA plan's cache-effectiveness test: the latency of 100 first writes against 100 retries of the same events
/// (same key, same payload), one at a time on one warm connection, after a warm-up of 200 events.</summary>
internal static class Duplicates
{
    public static async Task<int> RunAsync(Uri target, string adminKey, int count)
    {
        if (await LoadTenants.CreateAsync(target, adminKey, "dup_") is not { } apiKey)
        {
            return 1;
        }

        using var client = new MeteringClient(target, apiKey);
        await client.PostAsync("/v1/meters", new { code = "tokens", event_type = "llm_tokens", aggregation = "sum", value_property = "tokens" });
        await client.PostAsync("/v1/customers", new { id = "c", currency = "USD" });
        await client.PostAsync("/v1/plans", new { code = "p", currency = "USD", interval = "month" });
        await client.PostAsync("/v1/subscriptions", new { id = "s", customer_id = "c", plan = "p", subjects = new[] { "agent" } });

        object Event(string key) => new { idempotency_key = key, subject = "agent", event_type = "llm_tokens", properties = new { tokens = 7 } };
        for (int i = 0; i < 200; i++)
        {
            await client.PostAsync("/v1/events", Event($"warm-{i}"));
            await client.PostAsync("/v1/events", Event($"warm-{i}"));
        }

        // The floor: an authenticated request that does nothing (the tenant read back), timed the same way.
        double[] floor = new double[count];
        for (int i = 0; i < count; i++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            using HttpResponseMessage tenantRead = await client.Http.GetAsync("/v1/tenant");
            await tenantRead.Content.ReadAsByteArrayAsync();
            floor[i] = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(floor);
        double[] first = await TimeAsync(client, count, i => Event($"k-{i}"), 201);
        double[] again = await TimeAsync(client, count, i => Event($"k-{i}"), 409);
        if (first.Length == 0 || again.Length == 0)
        {
            return 1;
        }

        Console.WriteLine($"first writes ({count}): p50 {P(first, 0.5):F3} ms, p90 {P(first, 0.9):F3} ms, p99 {P(first, 0.99):F3} ms, mean {first.Average():F3} ms");
        Console.WriteLine($"duplicates   ({count}): p50 {P(again, 0.5):F3} ms, p90 {P(again, 0.9):F3} ms, p99 {P(again, 0.99):F3} ms, mean {again.Average():F3} ms");
        Console.WriteLine($"floor: GET /v1/tenant ({count}): p50 {P(floor, 0.5):F3} ms, p99 {P(floor, 0.99):F3} ms, mean {floor.Average():F3} ms");
        Console.WriteLine($"ratio first/duplicate: p50 {P(first, 0.5) / P(again, 0.5):F1}x, mean {first.Average() / again.Average():F1}x");
        return 0;
    }

    private static async Task<double[]> TimeAsync(MeteringClient client, int count, Func<int, object> body, int expected)
    {
        var times = new double[count];
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            (int status, JsonElement answer) = await client.PostAsync("/v1/events", body(i));
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (status != expected)
            {
                Console.Error.WriteLine($"event {i}: {status} {answer} (expected {expected})");
                return [];
            }
        }

        Array.Sort(times);
        return times;
    }

    private static double P(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}
