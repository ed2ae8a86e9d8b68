using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Metering.Client;
using Metering.Runtime;

/// <summary>Scenarios over several silos: the usage-limit matrix, the owner of a subscription, and the cost of forwarding.</summary>
internal static class ClusterScenarios
{
    /// <summary>A tenant with a sum meter "tokens", a customer and a plan, and a client for it on every silo.</summary>
    public static async Task<(string Tenant, MeteringClient[] Clients)> TenantAsync(Uri[] silos, string adminKey)
    {
        using var admin = new MeteringClient(silos[0], adminKey);
        string tenant = "load_" + Guid.NewGuid().ToString("N")[..8];
        (int status, JsonElement created) = await admin.PostAsync("/admin/v1/tenants", new { id = tenant });
        if (status != 201)
        {
            throw new InvalidOperationException($"Could not create a tenant: {status} {created}");
        }

        string key = created.GetProperty("api_key").GetString()!;
        MeteringClient[] clients = [.. silos.Select(s => new MeteringClient(s, key, new SocketsHttpHandler { MaxConnectionsPerServer = 256 }))];
        await clients[0].PostAsync("/v1/meters", new { code = "tokens", event_type = "llm_tokens", aggregation = "sum", value_property = "tokens" });
        await clients[0].PostAsync("/v1/customers", new { id = "c", currency = "USD" });
        await clients[0].PostAsync("/v1/plans", new { code = "p", currency = "USD", interval = "month" });
        return (tenant, clients);
    }

    public static async Task SubscriptionAsync(MeteringClient client, string id, decimal? credits)
    {
        await client.PostAsync("/v1/subscriptions", new { id, customer_id = "c", plan = "p", subjects = new[] { "agent:" + id } });
        if (credits is { } limit)
        {
            (int status, JsonElement body) = await client.PutQuotaAsync(id, "tokens", new { limit = limit.ToString(CultureInfo.InvariantCulture), period = "none" });
            if (status != 200)
            {
                throw new InvalidOperationException($"Could not set credits: {status} {body}");
            }
        }
    }

    /// <summary>The usage-limit matrix: for each credits × cost × load cell, a subscription with those credits takes
    /// ⌈load × credits / cost⌉ consumes spread round-robin over every silo, 32 at a time, each retried on the next silo with
    /// its key until decided. Prints one markdown row per cell; returns 1 if any cell is not exact.</summary>
    public static async Task<int> MatrixAsync(Uri[] silos, string adminKey)
    {
        int[] credits = [10, 100, 500, 1000];
        int[] costs = [1, 5, 10, 20];
        double[] loads = [0.8, 1.0, 2.0, 3.0];
        (string _, MeteringClient[] clients) = await TenantAsync(silos, adminKey);
        int wrong = 0, cell = 0;
        var total = Stopwatch.StartNew();
        long requests = 0;
        foreach (int c in credits)
        {
            foreach (int k in costs)
            {
                foreach (double load in loads)
                {
                    string id = $"m{cell++}";
                    await SubscriptionAsync(clients[0], id, c);
                    int offered = (int)Math.Ceiling(load * c / k);
                    int allowed = 0;
                    var clock = Stopwatch.StartNew();
                    await Parallel.ForEachAsync(Enumerable.Range(0, offered), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
                    {
                        if (await ConsumeAsync(clients, i, new { subject = "agent:" + id, meter = "tokens", amount = k, idempotency_key = $"{id}-{i}" }))
                        {
                            Interlocked.Increment(ref allowed);
                        }
                    });
                    requests += offered;
                    int expected = Math.Min(offered, c / k);
                    JsonElement quota = await clients[cell % clients.Length].Http.GetFromJsonAsync<JsonElement>($"/v1/subscriptions/{id}/quotas/tokens");
                    decimal spent = decimal.Parse(quota.GetProperty("used").GetString()!, CultureInfo.InvariantCulture);
                    bool exact = allowed == expected && spent == allowed * k && spent <= c;
                    wrong += exact ? 0 : 1;
                    Console.WriteLine($"| {silos.Length} | {c} | {k} | {load:0.0}× | {offered} | {allowed} | {expected} | {spent} | {(exact ? "yes" : "**NO**")} | {clock.ElapsedMilliseconds} |");
                }
            }
        }

        Console.Error.WriteLine($"{silos.Length} silos: {cell} cells, {requests} consumes in {total.Elapsed.TotalSeconds:0.0} s ({requests / total.Elapsed.TotalSeconds:0}/s), {wrong} not exact");
        return wrong == 0 ? 0 : 1;
    }

    private static async Task<bool> ConsumeAsync(MeteringClient[] clients, int index, object body)
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            try
            {
                (int status, JsonElement answer) = await clients[(index + attempt) % clients.Length].PostAsync("/v1/quotas/consume", body);
                if (status == 200)
                {
                    return answer.GetProperty("allowed").GetBoolean();
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(20);
        }

        throw new InvalidOperationException("A consume got no decision.");
    }

    /// <summary>The address of the silo that owns <paramref name="subscription"/>'s partition (needs METERING_CLUSTER_SECRET).</summary>
    public static async Task<string> OwnerAsync(Uri silo, string tenant, string subscription)
    {
        using var http = new HttpClient { BaseAddress = silo };
        http.DefaultRequestHeaders.Add(ClusterCredential.Header, new ClusterCredential(Environment.GetEnvironmentVariable("METERING_CLUSTER_SECRET")).Token);
        DirectoryDocument directory = (await http.GetFromJsonAsync<DirectoryDocument>(SiloEndpoints.DirectoryPath))!;
        int partition = PartitionTable.PartitionOf($"{tenant}/{subscription}", directory.Partitions);
        return directory.Owners.Single(o => o.Partition == partition).Address;
    }

    /// <summary>The cost of forwarding: one client, one request at a time, the same subscription's check and consume sent to
    /// each silo in turn; the silo that owns it answers locally, the others forward to it.</summary>
    public static async Task<int> ForwardingAsync(Uri[] silos, string adminKey, int calls)
    {
        (string tenant, MeteringClient[] clients) = await TenantAsync(silos, adminKey);
        await SubscriptionAsync(clients[0], "s0", 1_000_000_000_000m);
        string owner = (await OwnerAsync(silos[0], tenant, "s0")).TrimEnd('/');
        for (int s = 0; s < silos.Length; s++)
        {
            string role = silos[s].ToString().TrimEnd('/') == owner ? "local" : "forwarded";
            foreach (string kind in new[] { "check", "consume" })
            {
                var latencies = new double[calls];
                for (int i = -200; i < calls; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    using HttpResponseMessage response = kind == "check"
                        ? await clients[s].Http.GetAsync("/v1/quotas/check?subject=agent:s0&meter=tokens&amount=1")
                        : await clients[s].Http.PostAsJsonAsync("/v1/quotas/consume", new { subject = "agent:s0", meter = "tokens", amount = 1, idempotency_key = $"f{s}-{kind}-{i}" });
                    await response.Content.ReadAsStringAsync();
                    if (i >= 0)
                    {
                        latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    }
                }

                Array.Sort(latencies);
                Console.WriteLine($"| {silos[s]} | {role} | {kind} | {calls} | {latencies[calls / 2]:F2} | {latencies[(int)(calls * 0.99)]:F2} |");
            }
        }

        return 0;
    }
}
