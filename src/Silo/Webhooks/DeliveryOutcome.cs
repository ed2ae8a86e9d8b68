namespace Metering.Silo.Webhooks;

/// <summary>What became of one attempt, as counted in /metrics.</summary>
public enum DeliveryOutcome
{
    /// <summary>The receiver answered 2xx.</summary>
    Delivered,

    /// <summary>It failed and will be tried again.</summary>
    Retrying,

    /// <summary>It failed for the last time: the delivery is in the dead-letter queue.</summary>
    DeadLettered,

    /// <summary>This silo lost the partition meanwhile: the attempt was not recorded (the new owner delivers it).</summary>
    Fenced,
}
