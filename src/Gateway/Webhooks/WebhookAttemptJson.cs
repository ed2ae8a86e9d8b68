namespace Metering.Gateway.Webhooks;

/// <summary>One attempt: its number, when, the receiver's status code (null when it did not answer), latency and error.</summary>
public sealed record WebhookAttemptJson(int Number, string At, int? StatusCode, double LatencyMs, string? Error);
