namespace Metering.Silo.Webhooks;

/// <summary>One attempt of a delivery: the receiver's status code (none when it did not answer), the time it took, and what
/// went wrong.</summary>
public sealed record WebhookAttempt(int Number, DateTimeOffset At, int? StatusCode, double LatencyMs, string? Error)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;
}
