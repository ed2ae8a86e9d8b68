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
