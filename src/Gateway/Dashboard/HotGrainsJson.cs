namespace Metering.Gateway.Dashboard;

/// <summary>The hottest grains of the node that answered.</summary>
public sealed record HotGrainsJson(string Silo, IReadOnlyList<HotGrainJson> Grains);

/// <summary>A live activation and the calls it ran since it was activated; tenant and subscription when its key names them.</summary>
public sealed record HotGrainJson(string Type, string Key, string? TenantId, string? SubscriptionId, int Partition, long Calls);
