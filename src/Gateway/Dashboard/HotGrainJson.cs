namespace Metering.Gateway.Dashboard;

/// <summary>A live activation, the silo it lives on and the calls it ran since it was activated; tenant and subscription when
/// its key names them.</summary>
public sealed record HotGrainJson(string Type, string Key, string? TenantId, string? SubscriptionId, int Partition, long Calls, string Silo);
