namespace Metering.Gateway.Operations;

/// <summary>One silo as <c>GET /v1/cluster</c> shows it.</summary>
public sealed record SiloJson(string Id, string Address, string Status, int Partitions, int Activations, string LastHeartbeat, bool Suspected);
