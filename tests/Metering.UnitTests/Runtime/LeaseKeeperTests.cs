using System.Diagnostics;
using Metering.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Metering.UnitTests.Runtime;

/// <summary>A silo keeps the leases it holds while its placement round cannot run (a saturated thread pool delays the round's
/// timer and continuations for longer than a lease), and stops serving once it is declared dead.</summary>
public sealed class LeaseKeeperTests
{
    [Fact]
    public async Task Leases_hold_while_placement_rounds_stall_and_lapse_once_the_silo_is_declared_dead()
    {
        var options = new SiloOptions { SiloId = "keeper", Partitions = 16, HeartbeatInterval = TimeSpan.FromMilliseconds(50), LeaseDuration = TimeSpan.FromMilliseconds(500) };
        var membership = new StallingMembership(new LocalMembership(options, TimeProvider.System));
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IMembership>(membership);
        builder.Services.AddGrainRuntime(options);
        using IHost host = builder.Build();
        await host.StartAsync();
        var silo = host.Services.GetRequiredService<Metering.Runtime.Silo>();
        await Until(() => silo.IsReady, TimeSpan.FromSeconds(5));

        membership.StallRounds();
        int stale = 0, samples = 0;
        for (var watch = Stopwatch.StartNew(); watch.Elapsed < TimeSpan.FromSeconds(1.5); samples++) // three leases
        {
            stale += silo.HeartbeatFresh ? 0 : 1;
            await Task.Delay(25);
        }

        Assert.True(membership.StalledRounds > 0);
        Assert.Equal(0, stale);
        Assert.Equal(16, silo.OwnedPartitions);

        membership.DeclareDead();
        await Until(() => !silo.HeartbeatFresh, TimeSpan.FromSeconds(2));
        Assert.Equal(0, silo.OwnedPartitions);

        membership.Resume();
        await host.StopAsync();
    }

    private static async Task Until(Func<bool> condition, TimeSpan limit)
    {
        for (var watch = Stopwatch.StartNew(); !condition(); await Task.Delay(10))
        {
            Assert.True(watch.Elapsed < limit, "the condition did not come true in time");
        }
    }

    /// <summary>A shared membership whose placement rounds can be made to hang (as when the thread pool never runs them) and
    /// whose keep-alive can answer "declared dead".</summary>
    private sealed class StallingMembership(LocalMembership inner) : IMembership
    {
        private readonly TaskCompletionSource _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _stalled;
        private volatile bool _dead;
        private int _stalledRounds;

        public int StalledRounds => Volatile.Read(ref _stalledRounds);

        public bool Shared => true;

        public void StallRounds() => _stalled = true;

        public void DeclareDead() => _dead = true;

        public void Resume()
        {
            _stalled = false;
            _resume.TrySetResult();
        }

        public async Task<MembershipSnapshot> HeartbeatAsync(int activations, CancellationToken cancellationToken)
        {
            if (_stalled)
            {
                Interlocked.Increment(ref _stalledRounds);
                await _resume.Task;
            }

            return await inner.HeartbeatAsync(activations, cancellationToken);
        }

        public IReadOnlyList<(int Partition, long Epoch)>? KeepAlive(int activations) => _dead ? null : inner.KeepAlive(activations);

        public Task JoinAsync(CancellationToken cancellationToken) => inner.JoinAsync(cancellationToken);

        public Task AdvertiseAsync(string address, CancellationToken cancellationToken) => inner.AdvertiseAsync(address, cancellationToken);

        public Task<IReadOnlyList<(int Partition, long Epoch)>> ClaimAsync(int count, CancellationToken cancellationToken) => inner.ClaimAsync(count, cancellationToken);

        public Task ReleaseAsync(IReadOnlyList<int> partitions, CancellationToken cancellationToken) => inner.ReleaseAsync(partitions, cancellationToken);

        public Task SetStatusAsync(SiloStatus status, CancellationToken cancellationToken) => inner.SetStatusAsync(status, cancellationToken);

        public Task<IReadOnlyList<SiloInfo>> ListAsync(CancellationToken cancellationToken) => inner.ListAsync(cancellationToken);

        public Task<IReadOnlyList<PartitionOwner>> OwnersAsync(CancellationToken cancellationToken) => inner.OwnersAsync(cancellationToken);

        public Task<string> SharedSecretAsync(CancellationToken cancellationToken) => inner.SharedSecretAsync(cancellationToken);
    }
}
