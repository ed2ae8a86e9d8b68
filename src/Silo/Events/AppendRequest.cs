using System.Diagnostics;
using Metering.Grains.Events;
using Metering.Runtime;

namespace Metering.Silo.Events;

/// <summary>One grain's append waiting in a lane: its events, the fence it writes under, and the outcomes its group commit
/// gives it.</summary>
internal sealed class AppendRequest(string tenantId, string subscriptionId, IReadOnlyList<IncomingEvent> events, FencingToken fence)
{
    public string TenantId { get; } = tenantId;

    public string SubscriptionId { get; } = subscriptionId;

    public IReadOnlyList<IncomingEvent> Events { get; } = events;

    public FencingToken Fence { get; } = fence;

    public IngestOutcome[] Outcomes { get; } = new IngestOutcome[events.Count];

    public TaskCompletionSource<IngestOutcome[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The append's span (when traced), ended with its commit.</summary>
    public Activity? Span { get; } = EventLogTracing.StartAppend(events.Count, fence.Partition);

    public void Complete(IngestOutcome[] outcomes)
    {
        Span?.Dispose();
        Done.TrySetResult(outcomes);
    }

    public void Fail(Exception error)
    {
        Span?.SetStatus(ActivityStatusCode.Error, error.Message);
        Span?.Dispose();
        Done.TrySetException(error);
    }
}
