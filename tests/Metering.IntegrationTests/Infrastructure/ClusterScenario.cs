using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>Setup and checks the cluster tests share.</summary>
public static class ClusterScenario
{
    public static readonly object TokensMeter = new { code = "tokens", event_type = "tokens", aggregation = "sum", value_property = "tokens" };

    /// <summary>Subscriptions sub_0… with one subject each (their keys hash over many partitions, so over every silo).</summary>
    public static async Task<string[]> SubscriptionsAsync(HttpClient client, int count)
    {
        var subjects = new string[count];
        for (int i = 0; i < count; i++)
        {
            subjects[i] = await client.SetUpSubscriptionAsync($"sub_{i}", i == 0 ? TokensMeter : null);
        }

        return subjects;
    }

    public static async Task PutCreditsAsync(HttpClient client, string subscription, int credits)
    {
        HttpResponseMessage response = await client.PutAsJsonAsync($"/v1/subscriptions/{subscription}/quotas/tokens", new { limit = credits.ToString(CultureInfo.InvariantCulture), period = "none", overflow = "block" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<decimal> UsageAsync(HttpClient client, string subscription)
    {
        (int status, JsonElement body) = await client.GetJsonAsync($"/v1/subscriptions/{subscription}/usage?meter=tokens");
        Assert.True(status == 200, body.ToString());
        return decimal.Parse(body.Str("value"), CultureInfo.InvariantCulture);
    }

    /// <summary>Rows in the event log for the tenant: how many, how many distinct keys, and the tokens they carry.</summary>
    public static async Task<(long Rows, long Keys, decimal Tokens)> StoredAsync(string connectionString, string tenant)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*), count(DISTINCT idempotency_key), coalesce(sum((properties->>'tokens')::numeric), 0) FROM events WHERE tenant_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetDecimal(2));
    }

    /// <summary>Sends events with keys <paramref name="prefix"/>-0… until cancelled, each retried on the next silo until it gets
    /// 201 or 409 DUPLICATE_EVENT (a retry of one that was stored). Records each acknowledged key with its tokens, and every
    /// 201, so a key acknowledged as created twice would show.</summary>
    public static async Task IngestUntilAsync(RetryingSender sender, string[] subjects, string prefix, ConcurrentDictionary<string, int> acknowledged,
        ConcurrentBag<string> created, CancellationToken stop)
    {
        for (int i = 0; !stop.IsCancellationRequested; i++)
        {
            string key = $"{prefix}-{i}";
            int tokens = i % 7 + 1;
            (int status, JsonElement body) = await sender.PostAsync("/v1/events", new { idempotency_key = key, subject = subjects[i % subjects.Length], event_type = "tokens", properties = new { tokens } });
            Assert.True(status == 201 || (status == 409 && body.Code() == "DUPLICATE_EVENT"), $"{key}: {status} {body}");
            if (status == 201)
            {
                created.Add(key);
            }

            acknowledged[key] = tokens;
        }
    }

    /// <summary>Consumes <paramref name="cost"/> credits with keys <paramref name="prefix"/>-0…<paramref name="requests"/>,
    /// <paramref name="parallel"/> at a time, each retried until decided; returns how many were allowed.</summary>
    public static async Task<int> ConsumeAsync(RetryingSender sender, string subject, string prefix, int requests, int cost, int parallel)
    {
        int allowed = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, requests), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, _) =>
        {
            (int status, JsonElement body) = await sender.PostAsync("/v1/quotas/consume", new { subject, meter = "tokens", amount = cost.ToString(CultureInfo.InvariantCulture), idempotency_key = $"{prefix}-{i}" });
            Assert.True(status == 200, $"{prefix}-{i}: {status} {body}");
            if (body.GetProperty("allowed").GetBoolean())
            {
                Interlocked.Increment(ref allowed);
            }
        });
        return allowed;
    }
}
