using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
using Npgsql;

namespace Metering.IntegrationTests;

/// <summary>Kills the gateway process with SIGKILL mid-stream, restarts it, retries every event that got no answer with its
/// same key, and checks that every event is counted exactly once.</summary>
public sealed class CrashTests
{
    private static object Event(int i, string subject) => new
    {
        idempotency_key = $"crash-{i}",
        subject,
        event_type = "api_call",
        properties = new { units = (i % 7) + 1 },
    };

    [Fact]
    public async Task Sigkill_mid_stream_then_retries_count_every_event_exactly_once()
    {
        await WallClock.AwayFromHourEndAsync(TimeSpan.FromMinutes(3));
        const int total = 3000;
        string db = await TestDatabase.CreateAsync("crash");
        string[] subjects = ["agent:one", "agent:two", "agent:three"];
        var acknowledged = new ConcurrentDictionary<int, string>(); // event → "201" or "409"
        int next = -1;

        // The restart listens where the killed process did, so it supersedes it at once instead of waiting out its leases.
        int port = GatewayProcess.FreePort();
        await using (GatewayProcess first = await GatewayProcess.StartAsync(db, port))
        {
            using HttpClient setup = first.Client();
            Assert.Equal(201, (await setup.PostAsync("/v1/meters", new { code = "calls", event_type = "api_call", aggregation = "count" })).Status);
            Assert.Equal(201, (await setup.PostAsync("/v1/meters", new { code = "units", event_type = "api_call", aggregation = "sum", value_property = "units" })).Status);
            Assert.Equal(201, (await setup.PostAsync("/v1/customers", new { id = "c", currency = "USD" })).Status);
            Assert.Equal(201, (await setup.PostAsync("/v1/plans", new { code = "p", currency = "USD", interval = "month" })).Status);
            for (int s = 0; s < subjects.Length; s++)
            {
                Assert.Equal(201, (await setup.PostAsync("/v1/subscriptions", new { id = $"sub_{s}", customer_id = "c", plan = "p", subjects = new[] { subjects[s] } })).Status);
            }

            // Eight senders stream single events and batches; the process is killed once a third is acknowledged.
            using var cts = new CancellationTokenSource();
            Task[] senders = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                using HttpClient client = first.Client();
                while (!cts.IsCancellationRequested)
                {
                    int batch = w % 2 == 0 ? 1 : 25;
                    int start = Interlocked.Add(ref next, batch) - batch + 1;
                    if (start >= total)
                    {
                        return;
                    }

                    int[] ids = Enumerable.Range(start, Math.Min(batch, total - start)).ToArray();
                    try
                    {
                        if (batch == 1)
                        {
                            HttpResponseMessage r = await client.PostAsJsonAsync("/v1/events", Event(ids[0], subjects[ids[0] % 3]));
                            if ((int)r.StatusCode is 201 or 409)
                            {
                                acknowledged[ids[0]] = ((int)r.StatusCode).ToString();
                            }
                        }
                        else
                        {
                            HttpResponseMessage r = await client.PostAsJsonAsync("/v1/events/batch", new { events = ids.Select(i => Event(i, subjects[i % 3])) });
                            JsonElement body = await r.Content.ReadFromJsonAsync<JsonElement>();
                            foreach (JsonElement result in body.GetProperty("results").EnumerateArray())
                            {
                                int status = result.GetProperty("status").GetInt32();
                                if (status is 201 or 409)
                                {
                                    acknowledged[ids[result.GetProperty("index").GetInt32()]] = status.ToString();
                                }
                            }
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or IOException)
                    {
                        // No answer: the event may or may not be durable; it will be retried with the same key.
                    }
                }
            })).ToArray();

            await first.KillWhenAsync(() => acknowledged.Count >= total / 3, cts, senders);
        }

        int acknowledgedBeforeCrash = acknowledged.Count;
        Assert.InRange(acknowledgedBeforeCrash, total / 3, total - 1);

        await using GatewayProcess second = await GatewayProcess.StartAsync(db, port);
        using HttpClient retry = second.Client();
        // Every event without an answer (including those never sent) goes again with its own key; a few acknowledged ones too.
        int[] unanswered = Enumerable.Range(0, total).Where(i => !acknowledged.ContainsKey(i)).ToArray();
        int[] replays = acknowledged.Keys.Take(50).ToArray();
        foreach (int[] chunk in unanswered.Concat(replays).Chunk(500))
        {
            HttpResponseMessage r = await retry.PostAsJsonAsync("/v1/events/batch", new { events = chunk.Select(i => Event(i, subjects[i % 3])) });
            JsonElement body = await r.Content.ReadFromJsonAsync<JsonElement>();
            foreach (JsonElement result in body.GetProperty("results").EnumerateArray())
            {
                int status = result.GetProperty("status").GetInt32();
                Assert.True(status is 201 or 409, result.ToString());
            }
        }

        long expectedUnits = Enumerable.Range(0, total).Sum(i => (long)((i % 7) + 1));
        long calls = 0, units = 0;
        for (int s = 0; s < subjects.Length; s++)
        {
            (_, JsonElement c) = await retry.GetJsonAsync($"/v1/subscriptions/sub_{s}/usage?meter=calls");
            (_, JsonElement u) = await retry.GetJsonAsync($"/v1/subscriptions/sub_{s}/usage?meter=units");
            calls += long.Parse(c.Str("value"));
            units += long.Parse(u.Str("value"));
        }

        Assert.Equal(total, calls);
        Assert.Equal(expectedUnits, units);
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*), count(DISTINCT idempotency_key) FROM events", connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(total, reader.GetInt64(0));
        Assert.Equal(total, reader.GetInt64(1));
    }

    [Fact]
    public async Task Sigkill_during_consumes_then_quota_counters_are_restored_exactly_from_the_events()
    {
        await WallClock.AwayFromHourEndAsync(TimeSpan.FromMinutes(3));
        const int total = 120, cost = 7, limit = 1000;
        string db = await TestDatabase.CreateAsync("crashq");
        const string subject = "agent:quota";
        var acknowledged = new ConcurrentDictionary<int, bool>();
        int next = -1;

        object Consume(int i) => new { subject, meter = "tokens", amount = cost, idempotency_key = $"consume-{i}" };

        // The restart listens where the killed process did, so it supersedes it at once instead of waiting out its leases.
        int port = GatewayProcess.FreePort();
        await using (GatewayProcess first = await GatewayProcess.StartAsync(db, port))
        {
            using HttpClient setup = first.Client();
            Assert.Equal(201, (await setup.PostAsync("/v1/meters", new { code = "tokens", event_type = "llm", aggregation = "sum", value_property = "tokens" })).Status);
            Assert.Equal(201, (await setup.PostAsync("/v1/customers", new { id = "c", currency = "USD" })).Status);
            Assert.Equal(201, (await setup.PostAsync("/v1/plans", new { code = "p", currency = "USD", interval = "month" })).Status);
            Assert.Equal(201, (await setup.PostAsync("/v1/subscriptions", new { id = "sub_q", customer_id = "c", plan = "p", subjects = new[] { subject } })).Status);
            HttpResponseMessage put = await setup.PutAsJsonAsync("/v1/subscriptions/sub_q/quotas/tokens", new { limit, period = "day" });
            Assert.Equal(200, (int)put.StatusCode);

            using var cts = new CancellationTokenSource();
            Task[] consumers = Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
            {
                using HttpClient client = first.Client();
                int i;
                while (!cts.IsCancellationRequested && (i = Interlocked.Increment(ref next)) < total)
                {
                    try
                    {
                        (int status, JsonElement body) = await client.PostAsync("/v1/quotas/consume", Consume(i));
                        if (status == 200)
                        {
                            acknowledged[i] = body.GetProperty("allowed").GetBoolean();
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or IOException)
                    {
                        // No answer: it may or may not be recorded; retried below with the same key.
                    }
                }
            })).ToArray();

            await first.KillWhenAsync(() => acknowledged.Count >= total / 3, cts, consumers);
        }

        Assert.All(acknowledged.Values, Assert.True);
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        async Task<long> StoredAsync()
        {
            await using var count = new NpgsqlCommand("SELECT count(*) FROM events WHERE event_type = 'llm'", connection);
            return (long)(await count.ExecuteScalarAsync())!;
        }

        long storedAtCrash = await StoredAsync();
        Assert.InRange(storedAtCrash, acknowledged.Count, total);

        await using GatewayProcess second = await GatewayProcess.StartAsync(db, port);
        using HttpClient retry = second.Client();
        // The restored counter is exactly what the log holds, acknowledged or not.
        (int s1, JsonElement restored) = await retry.GetJsonAsync("/v1/subscriptions/sub_q/quotas/tokens");
        Assert.Equal(200, s1);
        Assert.Equal((storedAtCrash * cost).ToString(), restored.Str("used"));

        // Retrying every consume with its key allows each exactly once.
        for (int i = 0; i < total; i++)
        {
            (int status, JsonElement body) = await retry.PostAsync("/v1/quotas/consume", Consume(i));
            Assert.Equal(200, status);
            Assert.True(body.GetProperty("allowed").GetBoolean(), body.ToString());
        }

        Assert.Equal(total, await StoredAsync());
        (_, JsonElement after) = await retry.GetJsonAsync("/v1/subscriptions/sub_q/quotas/tokens");
        Assert.Equal((total * cost).ToString(), after.Str("used"));

        // And the limit still holds: of 30 more, only what fits is allowed.
        int allowed = 0;
        for (int i = total; i < total + 30; i++)
        {
            (_, JsonElement body) = await retry.PostAsync("/v1/quotas/consume", Consume(i));
            allowed += body.GetProperty("allowed").GetBoolean() ? 1 : 0;
        }

        Assert.Equal((limit - (total * cost)) / cost, allowed);
    }
}
