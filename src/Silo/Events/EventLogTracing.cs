using System.Diagnostics;

namespace Metering.Silo.Events;

/// <summary>The event log's spans: <c>event_log.append</c>, one per append in the trace of the call that made it, from the
/// moment it is queued to its group commit's end (the wait for the commit included); and <c>event_log.commit</c>, one per
/// group commit, linked to every append it wrote.</summary>
public static class EventLogTracing
{
    public const string SourceName = "Metering.EventLog";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts an append's span as a child of the current one, without making it current (the caller goes on).</summary>
    public static Activity? StartAppend(int events, int partition)
    {
        Activity? previous = Activity.Current;
        Activity? span = Source.StartActivity("event_log.append");
        Activity.Current = previous;
        span?.SetTag("events.count", events);
        span?.SetTag("partition", partition);
        return span;
    }

    /// <summary>A group commit's span, linked to the spans of the appends it writes.</summary>
    public static Activity? StartCommit(IEnumerable<Activity?> appends, int events)
    {
        IEnumerable<ActivityLink> links = appends.Where(a => a is not null).Select(a => new ActivityLink(a!.Context));
        Activity? span = Source.StartActivity("event_log.commit", ActivityKind.Internal, default(ActivityContext), links: links);
        span?.SetTag("events.count", events);
        return span;
    }
}
