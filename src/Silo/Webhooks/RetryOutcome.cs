namespace Metering.Silo.Webhooks;

/// <summary>What a retry from the dead-letter queue did.</summary>
public enum RetryOutcome
{
    /// <summary>The failed delivery is pending again, with a fresh schedule of attempts.</summary>
    Retried,

    /// <summary>It is pending already: nothing changed.</summary>
    AlreadyPending,

    /// <summary>It was delivered: a retry would send it twice.</summary>
    Delivered,

    NotFound,
}
