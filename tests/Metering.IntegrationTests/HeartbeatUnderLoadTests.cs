using System.Diagnostics;
using Metering.IntegrationTests.Infrastructure;
using Metering.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace Metering.IntegrationTests;

/// <summary>A silo under load keeps its leases: its heartbeats do not queue behind the application's connections.</summary>
public sealed class HeartbeatUnderLoadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Leases_stay_renewed_while_every_application_connection_is_taken()
    {
        string db = await TestDatabase.CreateAsync("hb");
        await using TestGateway app = await TestGateway.StartAsync(new NpgsqlConnectionStringBuilder(db) { MaxPoolSize = 50, Timeout = 30 }.ConnectionString,
            new Dictionary<string, string?>
            {
                ["Silo:HeartbeatInterval"] = "00:00:00.2",
                ["Silo:LeaseDuration"] = "00:00:02",
            });
        var silo = app.Services.GetRequiredService<Metering.Runtime.Silo>();
        await WaitUntilAsync(() => silo.IsReady, TimeSpan.FromSeconds(10));

        // Every connection of the application's pool is taken, as by a flood of group commits and nonce claims.
        var pool = app.Services.GetRequiredService<NpgsqlDataSource>();
        var held = new List<NpgsqlConnection>();
        for (int i = 0; i < 50; i++)
        {
            held.Add(await pool.OpenConnectionAsync());
        }

        Task<NpgsqlConnection> queued = pool.OpenConnectionAsync().AsTask();
        int samples = 0, stale = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(5)) // two and a half leases
        {
            samples++;
            stale += silo.HeartbeatFresh ? 0 : 1;
            await Task.Delay(50);
        }

        output.WriteLine($"{samples} samples over two and a half leases with the pool exhausted, {stale} with leases lapsed; a request queued for a connection: {(queued.IsCompleted ? "served" : "still waiting")}");
        Assert.False(queued.IsCompleted); // the pool really was exhausted throughout
        Assert.Equal(0, stale);
        Assert.Equal(silo.Options.Partitions, silo.OwnedPartitions);

        foreach (NpgsqlConnection connection in held)
        {
            await connection.DisposeAsync();
        }

        await (await queued).DisposeAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < limit, "the silo did not become ready");
            await Task.Delay(50);
        }
    }
}
