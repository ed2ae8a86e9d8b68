namespace Metering.Gateway.Webhooks;

/// <summary>An endpoint's circuit breaker: closed, open or half_open, the failed attempts in a row, and when it last changed.</summary>
public sealed record BreakerJson(string State, int ConsecutiveFailures, string? ChangedAt);
