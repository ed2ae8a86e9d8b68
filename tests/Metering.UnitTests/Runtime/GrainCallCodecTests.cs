using System.Reflection;
using System.Text.Json;
using Metering.Grains.Catalog;
using Metering.Grains.Events;
using Metering.Grains.Quotas;
using Metering.Grains.Subscriptions;
using Metering.Grains.Usage;
using Metering.Runtime;

namespace Metering.UnitTests.Runtime;

/// <summary>Calls forwarded between silos carry the grain contracts as JSON: every argument and result must arrive equal.</summary>
public sealed class GrainCallCodecTests
{
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 10, 30, 15, 123, TimeSpan.Zero);

    private static object?[] RoundTrip(Type grain, string method, params object?[] args)
    {
        MethodDescriptor descriptor = MethodDescriptor.Find(grain, method)!;
        byte[] call = GrainCallCodec.EncodeCall("t/sub#m", descriptor, args);
        using JsonDocument document = JsonDocument.Parse(call);
        (string key, object?[] decoded) = GrainCallCodec.DecodeCall(document.RootElement, descriptor);
        Assert.Equal("t/sub#m", key);
        return decoded;
    }

    private static T Result<T>(T value) => GrainCallCodec.DecodeResult<T>(GrainCallCodec.EncodeResult(value, typeof(T)));

    [Fact]
    public void Events_and_their_outcomes_cross_unchanged()
    {
        var e = new IncomingEvent("k-1", "agent:1", "llm_tokens", s_at, s_at.AddSeconds(1), "{\"tokens\":1500.5}", [1, 2, 3, 255], "{\"x\":1}");
        var decoded = (IReadOnlyList<IncomingEvent>)RoundTrip(typeof(ISubscriptionGrain), nameof(ISubscriptionGrain.IngestAsync), new List<IncomingEvent> { e })[0]!;
        IncomingEvent back = Assert.Single(decoded);
        Assert.Equal((e.IdempotencyKey, e.Subject, e.EventType, e.Timestamp, e.ReceivedAt, e.PropertiesJson, e.MetaJson), (back.IdempotencyKey, back.Subject, back.EventType, back.Timestamp, back.ReceivedAt, back.PropertiesJson, back.MetaJson));
        Assert.Equal(e.PayloadHash, back.PayloadHash);
        IngestOutcome[] outcomes = [new(IngestStatus.Created, Guid.NewGuid(), 42), new(IngestStatus.KeyReused, Guid.NewGuid(), 0, "detail")];
        Assert.Equal(outcomes, Result(outcomes));
    }

    [Fact]
    public void Quota_calls_and_decisions_cross_unchanged_to_the_last_decimal()
    {
        var request = new ConsumeRequest("agent:1", 0.000000000000000001m, "req-1");
        Assert.Equal(request, RoundTrip(typeof(IQuotaGrain), nameof(IQuotaGrain.ConsumeAsync), request)[0]);
        var definition = new QuotaDefinition(1000.5m, QuotaPeriod.None, QuotaOverflow.AllowOverage, new QuotaRefill(10m, RefillInterval.Month));
        Assert.Equal(definition, RoundTrip(typeof(IQuotaGrain), nameof(IQuotaGrain.SetAsync), definition)[0]);
        var view = new QuotaView("tokens", definition, 1000.5m, 999.25m, 1.25m, null, s_at, true);
        Assert.Equal(view, Result<QuotaView?>(view));
        Assert.Null(Result<QuotaView?>(null));
        var result = new ConsumeResult(ConsumeStatus.Denied, 0m, 3.5m, "no");
        Assert.Equal(result, Result(result));
    }

    [Fact]
    public void Usage_queries_and_results_cross_unchanged()
    {
        var query = new UsageQuery("tokens", s_at, s_at.AddHours(1), UsageWindow.Hour, ["model"]);
        var back = (UsageQuery)RoundTrip(typeof(ISubscriptionGrain), nameof(ISubscriptionGrain.GetCellsAsync), query)[0]!;
        Assert.Equal((query.Meter, query.From, query.To, query.Window), (back.Meter, back.From, back.To, back.Window));
        Assert.Equal(query.GroupBy, back.GroupBy);
        var groups = new Dictionary<string, IReadOnlyDictionary<string, decimal?>> { ["model"] = new Dictionary<string, decimal?> { ["gpt-4"] = 1500m, ["none"] = null } };
        var usage = new UsageResult(true, "tokens", Aggregation.Sum, s_at, s_at.AddHours(1), 1500m, 3,
            [new UsageWindowResult(s_at, s_at.AddHours(1), 1500m, 3, groups)], groups);
        UsageResult copy = Result(usage);
        Assert.Equal(JsonSerializer.Serialize(usage), JsonSerializer.Serialize(copy));

        // The cells a forwarded usage read brings back: every aggregate's fields, the unique values too.
        var aggregate = new Aggregate();
        aggregate.Add(Aggregation.UniqueCount, 0, "user-a", s_at, 7);
        aggregate.Add(Aggregation.Latest, 12.5m, null, s_at.AddMinutes(3), 8);
        var cells = new UsageCells(true, [new HourlyCell(s_at, "gpt-4", aggregate)]);
        UsageCells back2 = Result(cells);
        Assert.Equal(JsonSerializer.Serialize(cells), JsonSerializer.Serialize(back2));
        Assert.Equal(["user-a"], back2.Cells[0].Aggregate.Uniques!);
    }

    [Fact]
    public void Every_method_of_the_grain_interfaces_is_found_by_name()
    {
        foreach (Type grain in new[] { typeof(ISubscriptionGrain), typeof(IQuotaGrain) })
        {
            foreach (MethodInfo method in grain.GetMethods())
            {
                Assert.Same(method, MethodDescriptor.Find(grain, method.Name)!.Method);
            }
        }
    }
}
