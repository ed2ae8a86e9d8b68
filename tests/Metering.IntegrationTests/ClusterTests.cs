using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
using Npgsql;

namespace Metering.IntegrationTests;

/// <summary>A 3-silo cluster of separate processes on one database, shared by the tests that leave it whole.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public SiloCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await SiloCluster.StartAsync(3);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    // Cluster tests run one at a time: each starts silo processes of its own, and the machine has two cores.
    public const string Name = "cluster";
}

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

[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(ClusterFixture fixture)
{
    private SiloCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Any_silo_answers_for_any_grain_and_usage_read_through_each_silo_agrees()
    {
        (string tenant, HttpClient[] clients) = await Cluster.NewTenantAsync();
        string[] subjects = await ClusterScenario.SubscriptionsAsync(clients[0], 12);
        var expected = new decimal[12];
        for (int i = 0; i < 360; i++)
        {
            (int status, JsonElement body) = await clients[i % 3].PostAsync("/v1/events", new { idempotency_key = $"k-{i}", subject = subjects[i % 12], event_type = "tokens", properties = new { tokens = i + 1 } });
            Assert.True(status == 201, body.ToString());
            expected[i % 12] += i + 1;
        }

        for (int s = 0; s < 12; s++)
        {
            decimal[] seen = await Task.WhenAll(clients.Select(c => ClusterScenario.UsageAsync(c, $"sub_{s}")));
            Assert.All(seen, v => Assert.Equal(expected[s], v));
        }

        // A retry through another silo is recognised: the same key and payload is the original event.
        (int first, JsonElement original) = await clients[0].PostAsync("/v1/events", new { idempotency_key = "again", subject = subjects[5], event_type = "tokens", properties = new { tokens = 2 } });
        (int second, JsonElement retry) = await clients[1].PostAsync("/v1/events", new { idempotency_key = "again", subject = subjects[5], event_type = "tokens", properties = new { tokens = 2 } });
        Assert.Equal((201, 409), (first, second));
        Assert.Equal(original.Str("event_id"), retry.Str("event_id"));
        Assert.Equal((361L, 361L, expected.Sum() + 2), await ClusterScenario.StoredAsync(Cluster.ConnectionString, tenant));

        // Every silo forwarded calls for grains it does not own.
        foreach (GatewayProcess silo in Cluster.Silos)
        {
            using HttpClient client = silo.Client();
            string metrics = await client.GetStringAsync("/metrics");
            string line = metrics.Split('\n').Single(l => l.StartsWith("metering_grain_calls_forwarded_total ", StringComparison.Ordinal));
            Assert.True(long.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture) > 0, line);
        }
    }

    public static TheoryData<int, int> MatrixCells => new()
    {
        { 10, 1 }, { 10, 5 }, { 10, 20 },
        { 100, 1 }, { 100, 5 }, { 100, 20 },
        { 500, 5 }, { 500, 10 }, { 1000, 20 },
    };

    /// <summary>The usage-limit matrix on 3 silos: requests spread round-robin over every silo, concurrently, at 0.8× and 3×
    /// what the credits allow. Exactly min(offered, ⌊credits/cost⌋) are allowed, and what is spent never passes the credits.</summary>
    [Theory]
    [MemberData(nameof(MatrixCells))]
    public async Task Credits_are_exact_across_silos(int credits, int cost)
    {
        (string tenant, HttpClient[] clients) = await Cluster.NewTenantAsync();
        string[] subjects = await ClusterScenario.SubscriptionsAsync(clients[0], 2);
        int affordable = credits / cost;
        for (int load = 0; load < 2; load++)
        {
            double factor = load == 0 ? 0.8 : 3.0;
            string subscription = $"sub_{load}";
            await ClusterScenario.PutCreditsAsync(clients[0], subscription, credits);
            int offered = (int)Math.Ceiling(factor * credits / cost);
            int allowed = await ClusterScenario.ConsumeAsync(new RetryingSender(clients), subjects[load], $"m{load}", offered, cost, parallel: 24);
            Assert.Equal(Math.Min(offered, affordable), allowed);
            decimal[] used = await Task.WhenAll(clients.Select(c => ClusterScenario.UsageAsync(c, subscription)));
            Assert.All(used, u => Assert.Equal(allowed * cost, u));
            Assert.True(allowed * cost <= credits);
        }

        Assert.Equal((long)(Math.Min((int)Math.Ceiling(0.8 * credits / cost), affordable) + Math.Min((int)Math.Ceiling(3.0 * credits / cost), affordable)),
            (await ClusterScenario.StoredAsync(Cluster.ConnectionString, tenant)).Rows);
    }

    /// <summary>Another .NET service calls grains by interface through the cluster client (samples/QuotaGate); what it decides
    /// and reads agrees with the HTTP API of every silo.</summary>
    [Fact]
    public async Task The_sample_service_calls_grains_by_interface_through_the_cluster_client()
    {
        (string tenant, HttpClient[] clients) = await Cluster.NewTenantAsync();
        string[] subjects = await ClusterScenario.SubscriptionsAsync(clients[0], 1);
        await ClusterScenario.PutCreditsAsync(clients[0], "sub_0", 50);
        string sample = Path.Combine(GatewayProcess.RepositoryRoot(), "samples", "QuotaGate", "bin", GatewayProcess.Configuration, "net10.0", "QuotaGate.dll");
        var start = new ProcessStartInfo("dotnet", [sample, tenant, "sub_0", "tokens", "7", "10", subjects[0]]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["METERING_GATEWAYS"] = Cluster.Silos[1].Address.ToString();
        start.Environment["METERING_CLUSTER_SECRET"] = SiloCluster.Secret;
        using Process process = Process.Start(start)!;
        string output = await process.StandardOutput.ReadToEndAsync();
        string errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, errors);
        JsonElement[] steps = [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
        Assert.Equal(3, steps[0].GetProperty("value").GetProperty("count").GetInt32());
        Assert.Equal([true, false], new[] { steps[1], steps[^2] }.Select(s => s.GetProperty("value").GetProperty("allowed").GetBoolean()));
        bool[] decisions = [.. steps.Where(s => s.Str("step") == "consume").Select(s => s.GetProperty("value").GetProperty("allowed").GetBoolean())];
        Assert.Equal([true, true, true, true, true, false, false], decisions);
        JsonElement usage = steps[^1].GetProperty("value");
        Assert.True(usage.GetProperty("held").GetBoolean());
        Assert.Equal((50m, 5L), (usage.GetProperty("value").GetDecimal(), usage.GetProperty("events").GetInt64()));
        foreach (HttpClient client in clients)
        {
            Assert.Equal(50m, await ClusterScenario.UsageAsync(client, "sub_0"));
            (int status, JsonElement quota) = await client.GetJsonAsync("/v1/subscriptions/sub_0/quotas/tokens");
            Assert.Equal((200, "0"), (status, quota.Str("remaining")));
        }
    }
}
