using System.Globalization;
using System.Text.RegularExpressions;
using Metering.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Metering.IntegrationTests;

/// <summary>A request that waits for a pooled connection is timed: /metrics has the wait in its pool-wait histogram.</summary>
public sealed partial class PoolWaitMetricsTests
{
    [GeneratedRegex("""^metering_pg_pool_wait_seconds_(count|sum) (\S+)$""", RegexOptions.Multiline)]
    private static partial Regex WaitLine();

    [Fact]
    public async Task A_wait_for_a_pooled_connection_is_counted_in_the_wait_histogram()
    {
        string db = await TestDatabase.CreateAsync("poolwait");
        await using TestGateway gateway = await TestGateway.StartAsync(new NpgsqlConnectionStringBuilder(db) { MaxPoolSize = 50, Timeout = 30 }.ConnectionString,
            new Dictionary<string, string?>());
        var pool = gateway.Services.GetRequiredService<NpgsqlDataSource>();
        using HttpClient client = gateway.Client();
        (double count, double sum) before = Waits(await client.GetStringAsync("/metrics"));

        // Every connection taken (the silo's pool has at least 50), then one more asked for: it waits until one is given back.
        var held = new List<NpgsqlConnection>();
        while (held.Count < 50)
        {
            held.Add(await pool.OpenConnectionAsync());
        }

        Task<NpgsqlConnection> waiting = pool.OpenConnectionAsync().AsTask();
        Assert.False(waiting.IsCompleted);
        await held[0].DisposeAsync();
        held[0] = await waiting;

        foreach (NpgsqlConnection connection in held)
        {
            await connection.DisposeAsync();
        }

        (double count, double sum) after = Waits(await client.GetStringAsync("/metrics"));

        Assert.True(after.count >= before.count + 1, $"waits counted {before.count} then {after.count}");
        Assert.True(after.sum > before.sum, $"wait seconds {before.sum} then {after.sum}");
    }

    private static (double Count, double Sum) Waits(string metrics)
    {
        Dictionary<string, double> values = WaitLine().Matches(metrics).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.True(values.ContainsKey("count") && values.ContainsKey("sum"), "metering_pg_pool_wait_seconds is in /metrics");
        return (values["count"], values["sum"]);
    }
}
