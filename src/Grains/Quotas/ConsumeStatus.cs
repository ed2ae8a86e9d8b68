namespace Metering.Grains.Quotas;

public enum ConsumeStatus
{
    Allowed,
    Denied,
    NotConfigured,
    KeyReused,

    /// <summary>The subscription has ended: its quotas stop.</summary>
    SubscriptionEnded,
    Failed,
}
