using System.Net.Http.Json;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests.Dashboard;

/// <summary>One silo's dashboard shows the cluster: traffic added up over every live silo with each silo's part, the hottest
/// grains of all silos with the silo each lives on, and a silo that stops answering reported as unreachable.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DashboardClusterTests
{
    [Fact]
    public async Task One_silos_dashboard_shows_the_traffic_and_hot_grains_of_every_silo()
    {
        await using SiloCluster cluster = await SiloCluster.StartAsync(2);
        (string tenant, HttpClient[] clients) = await cluster.NewTenantAsync();
        string subject = await clients[1].SetUpSubscriptionAsync("sub_dash", new { code = "calls", event_type = "call", aggregation = "count" });
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(201, (await clients[1].PostAsync("/v1/events", new { idempotency_key = $"dash-{i}", subject, event_type = "call" })).Status);
        }

        GatewayProcess a = cluster.Silos[0], b = cluster.Silos[1];
        string idA = await SelfAsync(a), idB = await SelfAsync(b);
        string owner = await SelfAsync(await cluster.OwnerOfAsync(tenant, "sub_dash"));
        using HttpClient adminA = a.Client(GatewayProcess.AdminKey);

        JsonElement nodeB = await adminA.GetFromJsonAsync<JsonElement>(new Uri(b.Address, "/admin/v1/dashboard/traffic?scope=node"));
        Assert.Equal("node", nodeB.Str("scope"));
        Assert.True(nodeB.GetProperty("totals").GetProperty("events_accepted").GetInt64() >= 20);

        // Silo A answers for both: the totals are the sum of each silo's, which it lists.
        JsonElement traffic = await adminA.GetFromJsonAsync<JsonElement>("/admin/v1/dashboard/traffic");
        Assert.Equal("cluster", traffic.Str("scope"));
        JsonElement[] nodes = [.. traffic.GetProperty("nodes").EnumerateArray()];
        Assert.Equal(new[] { idA, idB }.Order(StringComparer.Ordinal), nodes.Select(n => n.Str("silo")).Order(StringComparer.Ordinal));
        Assert.All(nodes, n => Assert.Equal("ok", n.Str("status")));
        Assert.Equal(nodes.Sum(n => n.GetProperty("events_accepted").GetInt64()), traffic.GetProperty("totals").GetProperty("events_accepted").GetInt64());
        Assert.True(nodes.Single(n => n.Str("silo") == idB).GetProperty("events_accepted").GetInt64() >= 20);

        // The hottest grains of both silos, each with the silo it lives on: the subscription's grain on its partition's owner.
        // Just after the cluster balanced, a silo's directory may still name the partition's previous owner for a moment:
        // the owner is read again until the two agree (or the test fails with what each said).
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        string hotSilo;
        while (true)
        {
            JsonElement grains = await adminA.GetFromJsonAsync<JsonElement>("/admin/v1/dashboard/grains");
            Assert.Equal("cluster", grains.Str("scope"));
            hotSilo = grains.GetProperty("grains").EnumerateArray().Single(g => g.Str("key") == $"{tenant}/sub_dash" && g.Str("type") == "ISubscriptionGrain").Str("silo");
            owner = await SelfAsync(await cluster.OwnerOfAsync(tenant, "sub_dash"));
            if (hotSilo == owner || DateTime.UtcNow > until)
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.Equal(owner, hotSilo);
        JsonElement tenantView = await clients[0].GetFromJsonAsync<JsonElement>("/v1/dashboard/grains");
        Assert.Contains(tenantView.GetProperty("grains").EnumerateArray(), g => g.Str("key") == $"{tenant}/sub_dash" && g.Str("silo") == owner);
        Assert.All(tenantView.GetProperty("grains").EnumerateArray(), g => Assert.Equal(tenant, g.Str("tenant_id")));

        // A silo that stops answering is reported, not waited for.
        b.Pause();
        try
        {
            JsonElement partial = await adminA.GetFromJsonAsync<JsonElement>("/admin/v1/dashboard/traffic");
            Assert.Equal("unreachable", partial.GetProperty("nodes").EnumerateArray().Single(n => n.Str("silo") == idB).Str("status"));
            JsonElement partialGrains = await adminA.GetFromJsonAsync<JsonElement>("/admin/v1/dashboard/grains");
            Assert.Contains(idB, partialGrains.GetProperty("unreachable").EnumerateArray().Select(u => u.GetString()));
        }
        finally
        {
            b.Resume();
        }
    }

    private static async Task<string> SelfAsync(GatewayProcess silo)
    {
        using HttpClient client = silo.Client();
        return (await client.GetFromJsonAsync<JsonElement>("/v1/cluster")).Str("self");
    }
}
