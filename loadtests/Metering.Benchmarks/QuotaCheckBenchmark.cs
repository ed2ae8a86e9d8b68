using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Metering.Grains.Audit;
using Metering.Grains.Catalog;
using Metering.Grains.Events;
using Metering.Grains.Quotas;
using Metering.Grains.Subscriptions;
using Metering.Grains.Usage;
using Metering.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Metering.Benchmarks;

/// <summary>A quota check on a warm quota grain, in-process, through the grain factory as a .NET service in the silo calls it.
/// The check reads memory only, so the silo here keeps grain state in memory and has no database behind it.</summary>
[MemoryDiagnoser]
public class QuotaCheckBenchmark
{
    private IHost? _host;
    private IQuotaGrain _quota = null!;

    [GlobalSetup]
    public void Setup() => (_host, _quota) = WarmQuotaAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => _host?.StopAsync().GetAwaiter().GetResult();

    [Benchmark]
    public Task<QuotaView?> Check() => _quota.CheckAsync(1);

    /// <summary>A started silo with one configured, activated quota (10,000 per hour, 1,234 used).</summary>
    public static async Task<(IHost Host, IQuotaGrain Quota)> WarmQuotaAsync()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        GrainTypeRegistry grains = builder.Services.AddGrainRuntime(new SiloOptions());
        grains.Add<IQuotaGrain, QuotaGrain>();
        grains.Add<ISubscriptionGrain, RecordingSubscriptionGrain>();
        builder.Services.AddSingleton<ICatalogReader, FixedCatalog>();
        builder.Services.AddSingleton<IQuotaStore, NoEventsQuotaStore>();
        builder.Services.AddSingleton<IAuditLog, NoAudit>();
        IHost host = builder.Build();
        await host.StartAsync();
        IQuotaGrain quota = host.Services.GetRequiredService<IGrainFactory>().GetGrain<IQuotaGrain>(QuotaKey.Of("bench", "sub_1", "calls"));
        await quota.SetAsync(new QuotaDefinition(10_000, QuotaPeriod.Hour, QuotaOverflow.Block, null));
        for (int i = 0; i < 1234; i++)
        {
            ConsumeResult consumed = await quota.ConsumeAsync(new ConsumeRequest("agent:bench", 1, $"warm-{i}"));
            if (consumed.Status != ConsumeStatus.Allowed)
            {
                throw new InvalidOperationException($"Warm-up consume was {consumed.Status}.");
            }
        }

        QuotaView view = (await quota.CheckAsync(1))!;
        if (view.Used != 1234 || !view.Allowed)
        {
            throw new InvalidOperationException($"The warm quota reads used={view.Used}, allowed={view.Allowed}.");
        }

        return (host, quota);
    }
}

/// <summary>Per-call latency of the in-process check: each call timed on its own, so the percentiles are of single calls
/// (BenchmarkDotNet's statistics are over iteration means).</summary>
public static class CheckLatency
{
    public static async Task RunAsync(int calls)
    {
        (IHost host, IQuotaGrain quota) = await QuotaCheckBenchmark.WarmQuotaAsync();
        for (int i = 0; i < 200_000; i++)
        {
            await quota.CheckAsync(1);
        }

        long[] ticks = new long[calls];
        for (int i = 0; i < calls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await quota.CheckAsync(1);
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }

        Array.Sort(ticks);
        double Ns(double q) => ticks[(int)Math.Min(calls - 1, q * calls)] * 1e9 / Stopwatch.Frequency;
        Console.WriteLine($"in-process quota check, {calls:N0} calls timed one by one (timer overhead included):");
        Console.WriteLine($"  p50 {Ns(0.50):F0} ns   p90 {Ns(0.90):F0} ns   p99 {Ns(0.99):F0} ns   p99.9 {Ns(0.999):F0} ns   max {Ns(1.0) / 1000:F1} µs");
        long overhead = Stopwatch.GetTimestamp();
        overhead = Stopwatch.GetTimestamp() - overhead;
        Console.WriteLine($"  (one timer read pair: {overhead * 1e9 / Stopwatch.Frequency:F0} ns)");
        await host.StopAsync();
    }
}

internal sealed class FixedCatalog : ICatalogReader
{
    private static readonly TenantMeters s_meters = new([new Meter("calls", "api_call", Aggregation.Count, null, [], DateTimeOffset.UnixEpoch)]);
    private static readonly Subscription s_subscription = new("sub_1", "cust_1", "pro", BillingInterval.Month, DateTimeOffset.UnixEpoch, ["agent:bench"], DateTimeOffset.UnixEpoch);

    public ValueTask<TenantMeters> GetMetersAsync(string tenantId, CancellationToken cancellationToken = default) => ValueTask.FromResult(s_meters);

    public ValueTask<Subscription?> GetSubscriptionAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default)
        => ValueTask.FromResult<Subscription?>(s_subscription);
}

internal sealed class NoEventsQuotaStore : IQuotaStore
{
    public Task RegisterAsync(string tenantId, string subscriptionId, string meterCode, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<IReadOnlyList<string>> ListMetersAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default)
        => Task.FromResult<IReadOnlyList<string>>([]);

    public Task<long> LastSeqAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default) => Task.FromResult(0L);

    public Task<(IReadOnlyList<QuotaEvent> Events, long LastSeq)> LoadAsync(string tenantId, string subscriptionId, string eventType, QuotaEpoch epoch, CancellationToken cancellationToken = default)
        => Task.FromResult<(IReadOnlyList<QuotaEvent>, long)>(([], 0));
}

internal sealed class NoAudit : IAuditLog
{
    public void Record(AuditEntry entry)
    {
    }
}

/// <summary>Stands in for the subscription grain during warm-up: "commits" each event in memory and passes it to the quota.</summary>
internal sealed class RecordingSubscriptionGrain(IGrainContext context, TimeProvider time) : Grain, ISubscriptionGrain
{
    private long _seq;

    public Task<IngestOutcome[]> IngestAsync(IReadOnlyList<IncomingEvent> events)
    {
        IQuotaGrain quota = context.GrainFactory.GetGrain<IQuotaGrain>(QuotaKey.Of("bench", "sub_1", "calls"));
        var outcomes = new IngestOutcome[events.Count];
        var committed = new List<QuotaEvent>(events.Count);
        for (int i = 0; i < events.Count; i++)
        {
            outcomes[i] = new IngestOutcome(IngestStatus.Created, Guid.NewGuid(), ++_seq);
            committed.Add(new QuotaEvent(_seq, events[i].IdempotencyKey, events[i].Timestamp, time.GetUtcNow(), events[i].PropertiesJson));
        }

        _ = quota.OnEventsAsync(committed);
        return Task.FromResult(outcomes);
    }

    public Task<UsageResult> GetUsageAsync(UsageQuery query) => Task.FromResult(UsageResult.NotHeld(query));

    public Task WatchQuotaAsync(string meterCode) => Task.CompletedTask;

    public Task ReloadClosedPeriodsAsync() => Task.CompletedTask;

    public Task SnapshotAsync() => Task.CompletedTask;
}
