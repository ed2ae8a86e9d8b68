using Metering.IntegrationTests.Infrastructure;
using Metering.Runtime;
using Metering.Silo.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Metering.IntegrationTests;

public sealed class MembershipTests
{
    [Fact]
    public async Task A_silo_joins_claims_every_partition_heartbeats_and_leaves_in_postgres()
    {
        string cs = await TestDatabase.CreateAsync("members");
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(cs);
        await Migrator.ApplyAsync(dataSource, NullLogger.Instance);
        var options = new SiloOptions { SiloId = "silo-a", Partitions = 8, LeaseDuration = TimeSpan.FromMinutes(1) };
        var membership = new PostgresMembership(dataSource, options);
        await membership.JoinAsync(default);
        IReadOnlyList<(int Partition, long Epoch)> first = await membership.ClaimAllAsync(default);
        Assert.Equal(8, first.Count);
        // A restart claims again at a higher epoch, which fences every write made under the old one.
        IReadOnlyList<(int Partition, long Epoch)> second = await membership.ClaimAllAsync(default);
        Assert.All(second, c => Assert.Equal(first.Single(f => f.Partition == c.Partition).Epoch + 1, c.Epoch));

        await membership.HeartbeatAsync(default);
        SiloInfo me = Assert.Single(await membership.ListAsync(default));
        Assert.Equal(("silo-a", "active", 8), (me.Id, me.Status, me.Partitions));

        await membership.LeaveAsync(default);
        SiloInfo left = Assert.Single(await membership.ListAsync(default));
        Assert.Equal(("stopped", 0), (left.Status, left.Partitions));
    }

    [Fact]
    public async Task Grain_state_in_postgres_refuses_a_stale_version_and_a_fenced_epoch()
    {
        string cs = await TestDatabase.CreateAsync("state");
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(cs);
        await Migrator.ApplyAsync(dataSource, NullLogger.Instance);
        var membership = new PostgresMembership(dataSource, new SiloOptions { SiloId = "s", Partitions = 4 });
        long epoch = (await membership.ClaimAllAsync(default)).Single(c => c.Partition == 1).Epoch;
        var storage = new PostgresGrainStorage(dataSource);
        var fence = new FencingToken("s", 1, epoch);

        long v1 = await storage.WriteAsync("st", "k", "{\"a\":1}"u8.ToArray(), 0, fence, default);
        long v2 = await storage.WriteAsync("st", "k", "{\"a\":2}"u8.ToArray(), v1, fence, default);
        Assert.Equal(v1 + 1, v2);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteAsync("st", "k", "{}"u8.ToArray(), v1, fence, default));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteAsync("st", "k", "{}"u8.ToArray(), v2, fence with { Epoch = epoch - 1 }, default));
        Assert.Equal("{\"a\":2}", System.Text.Encoding.UTF8.GetString((await storage.ReadAsync("st", "k", default))!.Data));
    }
}
