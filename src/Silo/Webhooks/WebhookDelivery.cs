namespace Metering.Silo.Webhooks;

/// <summary>A notification's delivery to one endpoint, with its attempts and the payload it sends.</summary>
public sealed record WebhookDelivery(Guid Id, Guid EndpointId, Guid NotificationId, string Type, DeliveryStatus Status, int Failures, DateTimeOffset? NextAttemptAt,
    DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt, string Body, IReadOnlyList<WebhookAttempt> Attempts);
