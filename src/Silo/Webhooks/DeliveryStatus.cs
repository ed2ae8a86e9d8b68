namespace Metering.Silo.Webhooks;

/// <summary>Where a delivery stands: waiting (for its first attempt, a retry, or a closed breaker), delivered, or failed
/// for good (the dead-letter queue, until it is retried).</summary>
public enum DeliveryStatus
{
    Pending,
    Delivered,
    Failed,
}
