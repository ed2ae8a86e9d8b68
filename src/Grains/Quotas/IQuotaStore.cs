using Metering.Grains.Catalog;
using Metering.Runtime;

namespace Metering.Grains.Quotas;

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
