namespace Metering.Silo.Webhooks;

/// <summary>The outbox as a whole, for /metrics: deliveries waiting and the oldest one's creation, the dead-letter queue,
/// and endpoints by breaker state.</summary>
public sealed record WebhookStats(long Pending, DateTimeOffset? OldestPending, long DeadLettered, IReadOnlyDictionary<string, long> EndpointsByBreaker);
