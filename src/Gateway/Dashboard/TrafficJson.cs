namespace Metering.Gateway.Dashboard;

/// <summary>This node's traffic: totals since start and the samples of the last minutes.</summary>
public sealed record TrafficJson(string Silo, double IntervalSeconds, TrafficTotalsJson Totals, IReadOnlyList<TrafficSampleJson> Samples);

public sealed record TrafficTotalsJson(string? At, long EventsAccepted, long EventsRefused, IReadOnlyDictionary<string, long> RefusedByCode, long ConsumesAllowed,
    long ConsumesDenied, long Checks, long ChecksDenied, long GroupCommits, long EventsWritten, long ServerErrors)
{
    public static TrafficTotalsJson Of(TrafficTotals t) => new(Infrastructure.Wire.Time(t.At), t.EventsAccepted, t.EventsRefused, t.RefusedByCode,
        t.ConsumesAllowed, t.ConsumesDenied, t.Checks, t.ChecksDenied, t.Commits, t.EventsWritten, t.ServerErrors);
}

public sealed record TrafficSampleJson(string? At, double IngestRate, double RefusedRate, double? IngestP50Ms, double? IngestP99Ms, double ConsumeRate, double CheckRate,
    long QuotaDenials, double CommitRate, double? CommitSizeAvg, long ServerErrors, IReadOnlyDictionary<string, long> RefusedByCode)
{
    public static TrafficSampleJson Of(TrafficSample s) => new(Infrastructure.Wire.Time(s.At), s.IngestRate, s.RefusedRate, s.IngestP50Ms, s.IngestP99Ms,
        s.ConsumeRate, s.CheckRate, s.QuotaDenials, s.CommitRate, s.CommitSizeAvg, s.ServerErrors, s.RefusedByCode);
}
