namespace Metering.Gateway.Dashboard;

/// <summary>One silo's part of the cluster's traffic: its latest sample and totals, or <c>status</c> unreachable.</summary>
public sealed record NodeTrafficJson(string Silo, string Address, string Status, double? IngestRate, double? IngestP99Ms, long? EventsAccepted, long? ServerErrors)
{
    public static NodeTrafficJson Of(string address, TrafficJson node)
        => new(node.Silo, address, "ok", node.Samples.Count > 0 ? node.Samples[^1].IngestRate : 0, node.Samples.Count > 0 ? node.Samples[^1].IngestP99Ms : null,
            node.Totals.EventsAccepted, node.Totals.ServerErrors);

    public static NodeTrafficJson Unreachable(string silo, string address) => new(silo, address, "unreachable", null, null, null, null);
}
