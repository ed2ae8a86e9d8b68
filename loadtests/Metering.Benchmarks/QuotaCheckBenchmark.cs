using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Metering.Grains.Quotas;
using Metering.QuotaTesting;
using Microsoft.Extensions.Hosting;

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
        IHost host = await QuotaGrainHost.StartAsync(TimeProvider.System);
        IQuotaGrain quota = host.Quota();
        await quota.SetAsync(new QuotaDefinition(10_000, QuotaPeriod.Hour, QuotaOverflow.Block, null));
        for (int i = 0; i < 1234; i++)
        {
            ConsumeResult consumed = await quota.ConsumeAsync(new ConsumeRequest("agent:a", 1, $"warm-{i}"));
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
