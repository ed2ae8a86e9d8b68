using System.Text;
using Metering.Runtime;

namespace Metering.UnitTests.Runtime;

public sealed class GrainRuntimeTests
{
    [Fact]
    public async Task Thousand_concurrent_calls_into_one_grain_never_interleave()
    {
        await using TestSilo silo = await TestSilo.StartAsync();
        ICounterGrain grain = silo.Grains.GetGrain<ICounterGrain>("one");
        int[] results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => Task.Run(() => grain.IncrementAsync(i))));

        Assert.Equal(1, await grain.GetMaxConcurrencyAsync());
        // A lost update would leave a duplicate or a gap: every value 1..1000 is returned exactly once.
        Assert.Equal(Enumerable.Range(1, 1000), results.Order());
    }

    [Fact]
    public async Task Calls_run_in_arrival_order()
    {
        await using TestSilo silo = await TestSilo.StartAsync();
        ICounterGrain grain = silo.Grains.GetGrain<ICounterGrain>("order");
        var calls = new List<Task<int>>();
        for (int i = 0; i < 500; i++)
        {
            calls.Add(grain.IncrementAsync(i)); // issued one after another, not awaited
        }

        await Task.WhenAll(calls);
        Assert.Equal(Enumerable.Range(0, 500), await grain.GetOrderAsync());
    }

    [Fact]
    public async Task Read_only_calls_interleave_with_each_other()
    {
        await using TestSilo silo = await TestSilo.StartAsync();
        ICounterGrain grain = silo.Grains.GetGrain<ICounterGrain>("readers");
        var gate = new TaskCompletionSource();
        Task<int> first = grain.ReadWhileAsync(gate.Task);
        Task<int> second = grain.ReadWhileAsync(gate.Task);
        // Both readers are inside at once; a write queued behind them waits.
        Task<int> write = grain.IncrementAsync(0);
        await Task.Delay(100);
        Assert.False(write.IsCompleted);
        gate.SetResult();
        await Task.WhenAll(first, second, write);
        Assert.Equal(2, await grain.GetMaxConcurrencyAsync());
    }

    [Fact]
    public async Task Grain_activates_once_on_first_call_and_keeps_its_activation()
    {
        await using TestSilo silo = await TestSilo.StartAsync();
        ICounterGrain grain = silo.Grains.GetGrain<ICounterGrain>("activation");
        Assert.Equal(0, silo.Counter.Activations);
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => grain.IncrementAsync(i))));
        Assert.Equal(1, silo.Counter.Activations);
        Assert.Equal(1, silo.Silo.ActivationCount);
    }

    [Fact]
    public async Task Stale_write_raises_a_conflict()
    {
        var storage = new InMemoryGrainStorage();
        var fence = new FencingToken("s", 0, 1);
        long v1 = await storage.WriteAsync("counter", "k", Encoding.UTF8.GetBytes("{\"value\":1}"), 0, fence, default);
        await storage.WriteAsync("counter", "k", Encoding.UTF8.GetBytes("{\"value\":2}"), v1, fence, default);
        // A writer still holding version 1 is stale.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteAsync("counter", "k", Encoding.UTF8.GetBytes("{\"value\":3}"), v1, fence, default));
        // And a second "first" write of the same state conflicts too.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteAsync("counter", "k", Encoding.UTF8.GetBytes("{}"), 0, fence, default));
    }

    [Fact]
    public async Task A_conflicting_write_drops_the_activation_and_the_next_call_reloads()
    {
        await using TestSilo silo = await TestSilo.StartAsync();
        ICounterGrain grain = silo.Grains.GetGrain<ICounterGrain>("conflict");
        await grain.IncrementAsync(0);
        await grain.SaveAsync();
        // Someone else writes the same state behind the activation's back.
        StoredState stored = (await silo.Storage.ReadAsync("counter", "conflict", default))!;
        await silo.Storage.WriteAsync("counter", "conflict", Encoding.UTF8.GetBytes("{\"value\":41}"), stored.Version, new FencingToken("x", 0, 1), default);

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.SaveAsync());
        await Task.Delay(50);
        Assert.Equal(42, await grain.IncrementAsync(1)); // reloaded 41 from storage, then incremented
        Assert.Equal(2, await grain.GetActivationNumberAsync());
    }

    [Fact]
    public async Task Idle_deactivation_flushes_state_and_the_next_call_reactivates_from_it()
    {
        await using TestSilo silo = await TestSilo.StartAsync();
        ICounterGrain grain = silo.Grains.GetGrain<ICounterGrain>("idle");
        for (int i = 0; i < 7; i++)
        {
            await grain.IncrementAsync(i);
        }

        Assert.Equal(1, await silo.Silo.CollectIdleAsync(TimeSpan.Zero));
        Assert.Equal(1, silo.Counter.Deactivations);
        Assert.Equal(0, silo.Silo.ActivationCount);
        Assert.NotNull(await silo.Storage.ReadAsync("counter", "idle", default));

        Assert.Equal(8, await grain.IncrementAsync(7));
        Assert.Equal(2, silo.Counter.Activations);
    }

    [Fact]
    public async Task Busy_activation_is_not_collected()
    {
        await using TestSilo silo = await TestSilo.StartAsync();
        ICounterGrain grain = silo.Grains.GetGrain<ICounterGrain>("busy");
        var gate = new TaskCompletionSource();
        Task<int> reading = grain.ReadWhileAsync(gate.Task);
        Assert.Equal(0, await silo.Silo.CollectIdleAsync(TimeSpan.Zero));
        gate.SetResult();
        await reading;
        Assert.Equal(0, silo.Counter.Deactivations);
    }

    [Fact]
    public async Task Timers_tick_as_turns_of_the_activation()
    {
        await using TestSilo silo = await TestSilo.StartAsync();
        ICounterGrain grain = silo.Grains.GetGrain<ICounterGrain>("timer");
        await grain.StartTimerAsync(TimeSpan.FromMilliseconds(20));
        int ticks = 0;
        for (int i = 0; i < 200 && ticks < 3; i++)
        {
            await Task.Delay(20);
            ticks = await grain.GetTicksAsync();
        }

        Assert.True(ticks >= 3, $"expected at least 3 ticks, saw {ticks}");
    }

    [Fact]
    public void Keys_hash_to_stable_partitions_and_share_one_before_the_hash_sign()
    {
        var table = new PartitionTable("s", 256);
        var id = new GrainId(typeof(ICounterGrain), "tenant/sub_1#llm_tokens");
        Assert.Equal("tenant/sub_1", id.PartitionKey);
        Assert.Equal(table.PartitionOf("tenant/sub_1"), table.PartitionOf(id.PartitionKey));
        // FNV-1a of "abc" is 0x1A47E90B: the placement must not change between versions or processes.
        Assert.Equal((int)(0x1A47E90Bu % 256u), table.PartitionOf("abc"));
        int[] spread = Enumerable.Range(0, 10000).Select(i => table.PartitionOf($"t/sub_{i}")).ToArray();
        Assert.Equal(256, spread.Distinct().Count());
    }

    [Fact]
    public async Task A_grain_in_a_partition_this_silo_does_not_own_is_refused()
    {
        await using TestSilo silo = await TestSilo.StartAsync();
        PartitionTable table = silo.Silo.Partitions;
        table.Revoke(table.PartitionOf("lost"));
        await Assert.ThrowsAsync<NotOwnerException>(() => silo.Grains.GetGrain<ICounterGrain>("lost").IncrementAsync(0));
    }
}
