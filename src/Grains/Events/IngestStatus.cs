using Metering.Runtime;

namespace Metering.Grains.Events;

public enum IngestStatus
{
    Created,
    Duplicate,
    KeyReused,
    PeriodClosed,

    /// <summary>The event is stamped at or after the subscription's end.</summary>
    SubscriptionEnded,

    /// <summary>The subscription did not hold the event's subject at its timestamp (the sender's view of subjects was old).</summary>
    SubjectNotHeld,
    Failed,
}
