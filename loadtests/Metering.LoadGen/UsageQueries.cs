using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Metering.Client;

/// <summary>Measures usage queries over N events of one subscription spread over the last 24 hours: whole hours (the grain's
/// hourly cells), minute windows and ranges off the hour in /v1, and OpenMeter's query by minute and by subject (the minute
/// rollups plus the events after their mark), right after ingest and once rolled up.</summary>
internal static class UsageQueries
{
    private const int Subjects = 10;
    private static readonly string[] s_models = ["gpt-4", "gpt-4o", "claude", "llama"];

    public static async Task<int> RunAsync(Uri target, string adminKey, int events)
    {
        if (await LoadTenants.CreateAsync(target, adminKey, "query_") is not { } apiKey)
        {
            return 1;
        }

        string key = apiKey;
        using var client = new MeteringClient(target, key, new SocketsHttpHandler { MaxConnectionsPerServer = 8 });
        using var http = new HttpClient { BaseAddress = target, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset end = new(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        DateTimeOffset start = end.AddHours(-24);
        await client.PostAsync("/v1/meters", new { code = "tokens", event_type = "llm_tokens", aggregation = "sum", value_property = "tokens", group_by = new[] { "model" } });
        await client.PostAsync("/v1/customers", new { id = "c", currency = "USD" });
        await client.PostAsync("/v1/plans", new { code = "p", currency = "USD", interval = "month" });
        await client.PostAsync("/v1/subscriptions", new { id = "s", customer_id = "c", plan = "p", started_at = start.AddDays(-1).ToString("O"),
            subjects = Enumerable.Range(0, Subjects).Select(i => $"agent:{i}").ToArray() });

        var ingest = Stopwatch.StartNew();
        long seconds = (long)(end - start).TotalSeconds;
        await Parallel.ForEachAsync(Enumerable.Range(0, events).Chunk(1000), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (chunk, ct) =>
        {
            (int s, JsonElement body) = await client.SendBatchAsync(chunk.Select(i => (object)new
            {
                idempotency_key = $"q-{i}",
                subject = $"agent:{i % Subjects}",
                event_type = "llm_tokens",
                timestamp = start.AddSeconds(i * 7919L % seconds).ToString("O"),
                properties = new { tokens = 1 + (i % 100), model = s_models[i % s_models.Length] },
            }), ct);
            if (s != 207 || body.GetProperty("succeeded").GetInt32() != chunk.Length)
            {
                throw new InvalidOperationException($"events: {s} {body}");
            }
        });
        Console.WriteLine($"setup: {events} events of one subscription over 24 h, ingested in {ingest.Elapsed.TotalSeconds:F1}s");

        string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        (string Name, string Path)[] queries =
        [
            ("/v1 usage, 24 whole hours, hour windows (grain)", $"/v1/subscriptions/s/usage?meter=tokens&from={Iso(start)}&to={Iso(end)}&window=hour&group_by=model"),
            ("/v1 usage, last hour, minute windows (minute rollups + events after them)", $"/v1/subscriptions/s/usage?meter=tokens&from={Iso(end.AddHours(-1))}&to={Iso(end)}&window=minute&group_by=model"),
            ("/v1 usage, 24 h on odd minutes, no windows (hourly cells, minute rollups for the partial hours)", $"/v1/subscriptions/s/usage?meter=tokens&from={Iso(start.AddMinutes(7))}&to={Iso(end.AddMinutes(-13))}"),
            ("OpenMeter query, last hour, MINUTE by model (minute rollups + events after them)", $"/api/v1/meters/tokens/query?from={Iso(end.AddHours(-1))}&to={Iso(end)}&windowSize=MINUTE&groupBy=model"),
            ("OpenMeter query, 24 h, by subject and model (minute rollups + events after them)", $"/api/v1/meters/tokens/query?from={Iso(start)}&to={Iso(end)}&groupBy=subject&groupBy=model"),
            ("OpenMeter query, 24 h, HOUR windows in Europe/Paris", $"/api/v1/meters/tokens/query?from={Iso(start)}&to={Iso(end)}&windowSize=HOUR&windowTimeZone=Europe/Paris"),
        ];
        if (!await MeasureAsync(http, queries, "right after ingest (the rollups behind)"))
        {
            return 1;
        }

        // The rollup job runs every 10 s; give it time to roll the million events up, then measure again.
        TimeSpan wait = TimeSpan.FromSeconds(int.Parse(Environment.GetEnvironmentVariable("QUERIES_ROLLUP_WAIT") ?? "60", CultureInfo.InvariantCulture));
        await Task.Delay(wait);
        return await MeasureAsync(http, queries, $"{wait.TotalSeconds:F0} s later (rolled up)") ? 0 : 1;
    }

    private static async Task<bool> MeasureAsync(HttpClient http, (string Name, string Path)[] queries, string when)
    {
        Console.WriteLine(when + ":");
        foreach ((string name, string path) in queries)
        {
            var times = new List<double>();
            for (int run = 0; run < 5; run++)
            {
                var clock = Stopwatch.StartNew();
                using HttpResponseMessage response = await http.GetAsync(path);
                await response.Content.ReadAsByteArrayAsync();
                times.Add(clock.Elapsed.TotalMilliseconds);
                if (!response.IsSuccessStatusCode)
                {
                    Console.Error.WriteLine($"{name}: {(int)response.StatusCode}");
                    return false;
                }
            }

            times.Sort();
            Console.WriteLine($"  {name}: median {times[2]:F0} ms (first {times[0]:F0}..{times[4]:F0} ms over 5 runs)");
        }

        return true;
    }
}
