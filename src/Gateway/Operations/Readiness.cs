namespace Metering.Gateway.Operations;

/// <summary>The body of /health/ready: the verdict and each condition it rests on.</summary>
public sealed record Readiness(string Status, string Silo, string Database, string Heartbeat, int Partitions, bool Routable);
