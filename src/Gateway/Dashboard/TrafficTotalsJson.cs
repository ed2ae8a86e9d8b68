namespace Metering.Gateway.Dashboard;

public sealed record TrafficTotalsJson(string? At, long EventsAccepted, long EventsRefused, IReadOnlyDictionary<string, long> RefusedByCode, long ConsumesAllowed,
    long ConsumesDenied, long Checks, long ChecksDenied, long GroupCommits, long EventsWritten, long ServerErrors)
{
    public static TrafficTotalsJson Of(TrafficTotals t) => new(Infrastructure.Wire.Time(t.At), t.EventsAccepted, t.EventsRefused, t.RefusedByCode,
        t.ConsumesAllowed, t.ConsumesDenied, t.Checks, t.ChecksDenied, t.Commits, t.EventsWritten, t.ServerErrors);

    /// <summary>The totals of several nodes as one.</summary>
    public static TrafficTotalsJson Sum(IReadOnlyList<TrafficTotalsJson> nodes) => new(
        nodes.Max(n => n.At),
        nodes.Sum(n => n.EventsAccepted),
        nodes.Sum(n => n.EventsRefused),
        TrafficSampleJson.Merge(nodes.Select(n => n.RefusedByCode)),
        nodes.Sum(n => n.ConsumesAllowed),
        nodes.Sum(n => n.ConsumesDenied),
        nodes.Sum(n => n.Checks),
        nodes.Sum(n => n.ChecksDenied),
        nodes.Sum(n => n.GroupCommits),
        nodes.Sum(n => n.EventsWritten),
        nodes.Sum(n => n.ServerErrors));
}
