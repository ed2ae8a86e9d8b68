using System.Collections.Concurrent;
using System.Diagnostics;
using Metering.Gateway.Operations;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests;

/// <summary>One event's trace, from the HTTP request through the subscription grain's turn to the event log's append and its
/// group commit: the spans share the trace of the caller's <c>traceparent</c> and form the expected parent chain.</summary>
public sealed class TracingTests
{
    private const string TestSource = "Metering.Tests";

    private static readonly ActivitySource s_test = new(TestSource);

    [Fact]
    public async Task The_spans_of_one_event_form_one_trace_from_the_request_to_the_commit()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TestSource || Tracing.Sources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await using TestGateway gateway = await TestGateway.StartAsync(await TestDatabase.CreateAsync("trace"), new Dictionary<string, string?>());
        (_, string key) = await gateway.NewTenantAsync();
        using HttpClient client = gateway.Client(key);
        string subject = await client.SetUpSubscriptionAsync("sub_traced", new { code = "calls", event_type = "call", aggregation = "count" });

        ActivityTraceId trace;
        using (Activity root = s_test.StartActivity("test: send one event")!)
        {
            trace = root.TraceId;
            Assert.Equal(201, (await client.PostAsync("/v1/events", new { idempotency_key = "traced-1", subject, event_type = "call" })).Status);
        }

        Activity[] mine = [.. spans.Where(s => s.TraceId == trace)];
        Activity request = Assert.Single(mine, s => s.Source.Name == "Microsoft.AspNetCore");
        Activity turn = Assert.Single(mine, s => s.OperationName == "grain ISubscriptionGrain.IngestAsync");
        Activity append = Assert.Single(mine, s => s.OperationName == "event_log.append");
        Assert.True(IsBelow(turn, request, mine), "the grain turn is a descendant of the HTTP request's span");
        Assert.Equal(turn.SpanId, append.ParentSpanId);
        Assert.Equal(1, append.GetTagItem("events.count"));

        // The group commit that wrote it is a span of its own (it writes many traces' appends), linked to the append.
        await WebhookFixture.EventuallyAsync(() => spans.Any(s => s.OperationName == "event_log.commit" && s.Links.Any(l => l.Context.SpanId == append.SpanId)),
            "the commit's span linked to the append");
    }

    private static bool IsBelow(Activity span, Activity ancestor, Activity[] trace)
    {
        for (Activity? at = span; at is not null; at = trace.FirstOrDefault(s => s.SpanId == at.ParentSpanId))
        {
            if (at.ParentSpanId == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }
}
