namespace Metering.Gateway.Dashboard;

/// <summary>The hottest grains of the node that answered (<c>scope</c> node) or of every live silo (<c>scope</c> cluster;
/// <c>unreachable</c> names the silos that did not answer).</summary>
public sealed record HotGrainsJson(string Silo, string Scope, IReadOnlyList<HotGrainJson> Grains, IReadOnlyList<string>? Unreachable = null);
