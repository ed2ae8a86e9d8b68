using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Metering.Benchmarks;

// dotnet run -c Release --project loadtests/Metering.Benchmarks             BenchmarkDotNet: mean, median, P95 of the check
// dotnet run -c Release --project loadtests/Metering.Benchmarks -- latency  per-call percentiles (p50, p99) of the check
// dotnet run -c Release --project loadtests/Metering.Benchmarks -- signatures  signing input and verification per algorithm
if (args.Length > 0 && args[0] == "latency")
{
    await CheckLatency.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5_000_000);
    return;
}

if (args.Length > 0 && args[0] == "signatures")
{
    BenchmarkRunner.Run<SignatureBenchmark>(DefaultConfig.Instance.AddColumn(StatisticColumn.Median, StatisticColumn.P95), args[1..]);
    return;
}

BenchmarkRunner.Run<QuotaCheckBenchmark>(DefaultConfig.Instance.AddColumn(StatisticColumn.Median, StatisticColumn.P95), args);
