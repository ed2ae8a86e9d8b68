using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Metering.Runtime;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>Several gateway processes (each a silo) on one fresh database, sharing a cluster secret: a real cluster on
/// loopback. Tests kill, pause, stop and restart its silos.</summary>
public sealed class SiloCluster : IAsyncDisposable
{
    public const string Secret = "cluster-test-secret";

    private readonly IReadOnlyDictionary<string, string> _environment;

    private SiloCluster(string connectionString, List<GatewayProcess> silos, IReadOnlyDictionary<string, string> environment)
    {
        ConnectionString = connectionString;
        Silos = silos;
        _environment = environment;
    }

    public string ConnectionString { get; }

    public List<GatewayProcess> Silos { get; }

    public IEnumerable<GatewayProcess> Running => Silos.Where(s => !s.HasExited);

    /// <summary>Starts <paramref name="count"/> silos on a new database, with <paramref name="settings"/> in their environment.</summary>
    public static async Task<SiloCluster> StartAsync(int count, IReadOnlyDictionary<string, string>? settings = null)
    {
        string db = await TestDatabase.CreateAsync("cluster");
        var environment = new Dictionary<string, string>(settings ?? new Dictionary<string, string>()) { ["METERING_CLUSTER_SECRET"] = Secret };
        // The first silo applies the migrations; the others start together once it is up.
        var silos = new List<GatewayProcess> { await GatewayProcess.StartAsync(db, null, environment) };
        silos.AddRange(await Task.WhenAll(Enumerable.Range(1, count - 1).Select(_ => GatewayProcess.StartAsync(db, null, environment))));
        var cluster = new SiloCluster(db, silos, environment);
        await cluster.WaitBalancedAsync(count);
        return cluster;
    }

    public async Task<GatewayProcess> AddSiloAsync()
    {
        GatewayProcess silo = await GatewayProcess.StartAsync(ConnectionString, null, _environment);
        Silos.Add(silo);
        return silo;
    }

    /// <summary>The live silos as <c>/v1/cluster</c> shows them through <paramref name="via"/>.</summary>
    public static async Task<JsonElement[]> ActiveSilosAsync(GatewayProcess via)
    {
        using HttpClient client = via.Client();
        JsonElement cluster = await client.GetFromJsonAsync<JsonElement>("/v1/cluster");
        return [.. cluster.GetProperty("silos").EnumerateArray().Where(s => s.GetProperty("status").GetString() == "active")];
    }

    /// <summary>Waits until <paramref name="count"/> silos are active and own ⌈P/N⌉ or ⌊P/N⌋ of the 256 partitions each.</summary>
    public async Task<JsonElement[]> WaitBalancedAsync(int count, TimeSpan? timeout = null)
    {
        DateTime until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        JsonElement[] active = [];
        while (DateTime.UtcNow < until)
        {
            try
            {
                active = await ActiveSilosAsync(Running.First());
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200); // a silo stopping as it was asked
                continue;
            }

            int[] partitions = [.. active.Select(s => s.GetProperty("partitions").GetInt32())];
            if (active.Length == count && partitions.Sum() == 256 && partitions.All(p => p == 256 / count || p == (256 + count - 1) / count))
            {
                return active;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"the cluster did not balance over {count} silos: {string.Join(", ", active.Select(a => a.ToString()))}");
    }

    /// <summary>A new tenant through the admin API: its id and a client for it on each silo.</summary>
    public async Task<(string Tenant, HttpClient[] Clients)> NewTenantAsync()
    {
        await WallClock.AwayFromHourEndAsync(TimeSpan.FromMinutes(3));
        using HttpClient admin = Silos[0].Client(GatewayProcess.AdminKey);
        string id = "t_" + Guid.NewGuid().ToString("N")[..12];
        HttpResponseMessage response = await admin.PostAsJsonAsync("/admin/v1/tenants", new { id });
        response.EnsureSuccessStatusCode();
        string key = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("api_key").GetString()!;
        return (id, [.. Silos.Select(s => s.Client(key))]);
    }

    /// <summary>The owner's address of every partition, read from a silo's internal directory with the cluster token.</summary>
    public async Task<Dictionary<int, string>> OwnersAsync(GatewayProcess via)
    {
        using var client = new HttpClient { BaseAddress = via.Address };
        client.DefaultRequestHeaders.Add(ClusterCredential.Header, new ClusterCredential(Secret).Token);
        DirectoryDocument directory = (await client.GetFromJsonAsync<DirectoryDocument>(SiloEndpoints.DirectoryPath))!;
        return directory.Owners.ToDictionary(o => o.Partition, o => o.Address);
    }

    /// <summary>The silo that owns a subscription's partition now. A silo's directory lists a partition only once its
    /// owner has published an address (just after a rebalance it may not have yet), so this asks again for a while.</summary>
    public async Task<GatewayProcess> OwnerOfAsync(string tenant, string subscription)
    {
        int partition = PartitionTable.PartitionOf($"{tenant}/{subscription}", 256);
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            if ((await OwnersAsync(Running.First())).TryGetValue(partition, out string? address))
            {
                return Silos.Single(s => !s.HasExited && s.Address == new Uri(address));
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"partition {partition} has no owner with an address in the directory");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Silos.Select(silo => silo.DisposeAsync().AsTask()));
    }
}
