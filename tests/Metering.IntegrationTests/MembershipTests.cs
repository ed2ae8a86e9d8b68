using Metering.IntegrationTests.Infrastructure;
using Metering.Runtime;
using Metering.Silo.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Metering.IntegrationTests;

public sealed class MembershipTests
{
    [Fact]
    public async Task Two_silos_split_partitions_by_handoff_with_higher_epochs_and_a_lapsed_silo_is_declared_dead()
    {
        await using NpgsqlDataSource dataSource = await MigratedAsync();
        var a = new PostgresMembership(dataSource, new SiloOptions { SiloId = "silo-a", Partitions = 8, LeaseDuration = TimeSpan.FromSeconds(2) });
        var b = new PostgresMembership(dataSource, new SiloOptions { SiloId = "silo-b", Partitions = 8, LeaseDuration = TimeSpan.FromSeconds(2) });
        await a.JoinAsync(default);
        MembershipSnapshot alone = await a.HeartbeatAsync(0, default);
        Assert.Equal(["silo-a"], alone.LiveSilos);
        IReadOnlyList<(int Partition, long Epoch)> first = await a.ClaimAsync(PlacementPlan.TargetOf("silo-a", alone.LiveSilos, 8), default);
        Assert.Equal(8, first.Count);
        Assert.Empty(await b.ClaimAsync(8, default)); // b has not joined: it may not claim

        await b.JoinAsync(default);
        MembershipSnapshot both = await a.HeartbeatAsync(3, default);
        Assert.Equal(["silo-a", "silo-b"], both.LiveSilos.Order());
        Assert.Equal(8, both.Renewed.Count);
        PlacementPlan plan = PlacementPlan.For("silo-a", both.LiveSilos, 8, [.. first.Select(f => f.Partition)]);
        Assert.Equal([7, 6, 5, 4], plan.Release);
        Assert.Empty(await b.ClaimAsync(4, default)); // nothing is free until a releases
        await a.ReleaseAsync(plan.Release, default);
        IReadOnlyList<(int Partition, long Epoch)> taken = await b.ClaimAsync(4, default);
        Assert.Equal([4, 5, 6, 7], taken.Select(t => t.Partition).Order());
        // The new owner holds each partition at a higher epoch, which fences every write a made under the old one.
        Assert.All(taken, t => Assert.Equal(first.Single(f => f.Partition == t.Partition).Epoch + 1, t.Epoch));
        Assert.Equal(4, (await a.HeartbeatAsync(3, default)).Renewed.Count);

        IReadOnlyList<SiloInfo> silos = await a.ListAsync(default);
        Assert.Equal([("silo-a", 4, 3), ("silo-b", 4, 0)], silos.Select(s => (s.Id, s.Partitions, s.Activations)).Order());

        // b stops heartbeating: past the lease a declares it dead, b's renewals stop, and b learns it was declared dead.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        MembershipSnapshot later = await a.HeartbeatAsync(0, default);
        Assert.Equal(["silo-a"], later.LiveSilos);
        Assert.DoesNotContain(later.Owners, o => o.SiloId == "silo-b");
        Assert.Equal(4, (await a.ClaimAsync(4, default)).Count);
        MembershipSnapshot zombie = await b.HeartbeatAsync(0, default);
        Assert.True(zombie.DeclaredDead);
        Assert.Empty(zombie.Renewed);
        Assert.Equal(SiloStatus.Dead, (await a.ListAsync(default)).Single(s => s.Id == "silo-b").Status);
    }

    [Fact]
    public async Task A_silo_advertised_at_the_address_of_a_live_one_supersedes_it()
    {
        await using NpgsqlDataSource dataSource = await MigratedAsync();
        var old = new PostgresMembership(dataSource, new SiloOptions { SiloId = "old", Partitions = 4 });
        var next = new PostgresMembership(dataSource, new SiloOptions { SiloId = "new", Partitions = 4 });
        await old.JoinAsync(default);
        await old.AdvertiseAsync("http://127.0.0.1:9", default);
        Assert.Equal(4, (await old.ClaimAsync(4, default)).Count);
        await next.JoinAsync(default);
        Assert.Empty(await next.ClaimAsync(4, default));
        // The old process cannot be listening where the new one now listens: it is dead, and its leases free at once.
        await next.AdvertiseAsync("http://127.0.0.1:9", default);
        Assert.Equal(4, (await next.ClaimAsync(4, default)).Count);
        Assert.True((await old.HeartbeatAsync(0, default)).DeclaredDead);
    }

    [Fact]
    public async Task A_write_in_flight_holds_off_a_release_of_its_partitions_but_not_the_renewal_of_their_leases()
    {
        await using NpgsqlDataSource dataSource = await MigratedAsync();
        var a = new PostgresMembership(dataSource, new SiloOptions { SiloId = "a", Partitions = 8 });
        await a.JoinAsync(default);
        IReadOnlyList<(int Partition, long Epoch)> held = await a.ClaimAsync(8, default);

        // A group commit's transaction, open after its fence check, as while its rows are being inserted.
        await using NpgsqlConnection write = await dataSource.OpenConnectionAsync();
        await using NpgsqlTransaction transaction = await write.BeginTransactionAsync();
        await using (var fence = new NpgsqlCommand("SELECT metering_assert_fences($1, $2, $3)", write, transaction))
        {
            fence.Parameters.Add(new() { Value = "a" });
            fence.Parameters.Add(new() { Value = held.Select(h => h.Partition).Reverse().ToArray() });
            fence.Parameters.Add(new() { Value = held.Select(h => h.Epoch).Reverse().ToArray() });
            await fence.ExecuteNonQueryAsync();
        }

        Task<MembershipSnapshot> beat = a.HeartbeatAsync(0, default);
        Assert.True(await Task.WhenAny(beat, Task.Delay(TimeSpan.FromSeconds(10))) == beat, "the renewal waited for the write");
        Assert.Equal(8, (await beat).Renewed.Count);
        Assert.Equal(8, a.KeepAlive(0)!.Count);

        Task release = a.ReleaseAsync([3, 5], default);
        await Task.Delay(500);
        Assert.False(release.IsCompleted); // the write goes first
        await transaction.CommitAsync();
        await release;
        Assert.Equal(6, (await a.HeartbeatAsync(0, default)).Renewed.Count);
    }

    [Fact]
    public async Task Grain_state_in_postgres_refuses_a_stale_version_and_a_fenced_epoch()
    {
        await using NpgsqlDataSource dataSource = await MigratedAsync();
        var membership = new PostgresMembership(dataSource, new SiloOptions { SiloId = "s", Partitions = 4 });
        await membership.JoinAsync(default);
        long epoch = (await membership.ClaimAsync(4, default)).Single(c => c.Partition == 1).Epoch;
        var storage = new PostgresGrainStorage(dataSource);
        var fence = new FencingToken("s", 1, epoch);

        long v1 = await storage.WriteAsync("st", "k", "{\"a\":1}"u8.ToArray(), 0, fence, default);
        long v2 = await storage.WriteAsync("st", "k", "{\"a\":2}"u8.ToArray(), v1, fence, default);
        Assert.Equal(v1 + 1, v2);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteAsync("st", "k", "{}"u8.ToArray(), v1, fence, default));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteAsync("st", "k", "{}"u8.ToArray(), v2, fence with { Epoch = epoch - 1 }, default));
        Assert.Equal("{\"a\":2}", System.Text.Encoding.UTF8.GetString((await storage.ReadAsync("st", "k", default))!.Data));
    }

    /// <summary>A fresh database with the schema applied.</summary>
    private static async Task<NpgsqlDataSource> MigratedAsync()
    {
        NpgsqlDataSource dataSource = NpgsqlDataSource.Create(await TestDatabase.CreateAsync("members"));
        await Migrator.ApplyAsync(dataSource, NullLogger.Instance);
        return dataSource;
    }
}
