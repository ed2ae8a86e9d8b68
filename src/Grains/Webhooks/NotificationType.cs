namespace Metering.Grains.Webhooks;

/// <summary>What a notification tells; its wire name (<see cref="NotificationTypes.Name"/>) is the <c>type</c> of the payload
/// and what an endpoint subscribes to.</summary>
public enum NotificationType
{
    QuotaThresholdReached,
    QuotaExhausted,
    CreditsLow,
    InvoiceCreated,
    InvoiceFinalized,
    InvoiceVoided,
    BillingRunCompleted,
    ReratingCompleted,
}
