namespace Metering.Gateway.Dashboard;

/// <summary>Traffic: totals since start and the samples of the last minutes, of this node (<c>scope</c> node) or of every
/// live silo (<c>scope</c> cluster, with each silo's figures in <c>nodes</c>). Each sample carries its ingest latency
/// histogram (cumulative counts over <c>latency_bounds</c>, seconds), so quantiles of several nodes are computed exactly.</summary>
public sealed record TrafficJson(string Silo, string Scope, double IntervalSeconds, TrafficTotalsJson Totals, IReadOnlyList<TrafficSampleJson> Samples,
    IReadOnlyList<double> LatencyBounds, IReadOnlyList<NodeTrafficJson>? Nodes = null);
