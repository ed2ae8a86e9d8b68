using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests;

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
