using Metering.Grains.Catalog;
using Metering.Runtime;

namespace Metering.Grains.Quotas;

/// <summary>The quota of one subscription on one meter. Key: <see cref="QuotaKey.Of"/>, on the subscription's partition.
/// Checks read memory only; consumes are decided by this single activation and recorded through the event path.</summary>
public interface IQuotaGrain : IGrainWithStringKey
{
    /// <summary>Creates or replaces the quota. For credits the balance becomes the limit.</summary>
    Task<QuotaView> SetAsync(QuotaDefinition definition);

    /// <summary>May <paramref name="amount"/> more be used now? Consumes nothing. Null when no quota is configured.</summary>
    [ReadOnly]
    Task<QuotaView?> CheckAsync(decimal amount);

    /// <summary>Decides and, when allowed, records the usage durably before answering. A retried key gets the first decision.</summary>
    Task<ConsumeResult> ConsumeAsync(ConsumeRequest request);

    /// <summary>Adjusts the remaining balance of credits. Null when no quota is configured; a quota with a period is returned
    /// unchanged (only credits have a balance).</summary>
    Task<QuotaView?> AdjustCreditsAsync(CreditAdjustment adjustment);

    /// <summary>Events of the meter committed for the subscription, in commit order (sent by the subscription grain).</summary>
    Task OnEventsAsync(IReadOnlyList<QuotaEvent> events);

    /// <summary>The subscription grain lost track of what was committed: reload from the log.</summary>
    Task ResyncAsync();
}

public static class QuotaKey
{
    /// <summary>The grain key of a quota: the subscription's key (hence its partition), '#', the meter code.</summary>
    public static string Of(string tenantId, string subscriptionId, string meterCode) => $"{tenantId}/{subscriptionId}#{meterCode}";

    public static (string TenantId, string SubscriptionId, string Meter) Parse(string key)
    {
        int slash = key.IndexOf('/', StringComparison.Ordinal);
        int hash = key.IndexOf('#', StringComparison.Ordinal);
        return (key[..slash], key[(slash + 1)..hash], key[(hash + 1)..]);
    }
}

/// <summary>What quota grains and subscription grains read and write of quotas outside grain state.</summary>
public interface IQuotaStore
{
    /// <summary>Records that the subscription has a quota on the meter, so its subscription grain passes the meter's events on.</summary>
    Task RegisterAsync(string tenantId, string subscriptionId, string meterCode, CancellationToken cancellationToken = default);

    /// <summary>The meters with a quota on this subscription.</summary>
    Task<IReadOnlyList<string>> ListMetersAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>Records that the quota's threshold crossings are recorded for every event up to <paramref name="seq"/> (a
    /// silo claiming the partition recovers the quotas with events past it).</summary>
    Task MarkCheckedAsync(string tenantId, string subscriptionId, string meterCode, long seq, CancellationToken cancellationToken = default);

    /// <summary>The subscription's highest committed event sequence.</summary>
    Task<long> LastSeqAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>The subscription's highest committed event sequence, and its events of <paramref name="meter"/>'s type up to it
    /// that fall in <paramref name="epoch"/>, read for the meter, in sequence order.</summary>
    Task<(IReadOnlyList<QuotaEvent> Events, long LastSeq)> LoadAsync(string tenantId, string subscriptionId, Meter meter, QuotaEpoch epoch, CancellationToken cancellationToken = default);
}
