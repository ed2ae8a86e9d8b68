using Metering.Grains.Catalog;
using Metering.Grains.Usage;

namespace Metering.Grains.Quotas;

/// <summary>The events a quota counts at one instant: sequence after <see cref="AfterSeq"/> and receive time in
/// [<see cref="Start"/>, <see cref="End"/>), against <see cref="Limit"/>.</summary>
public readonly record struct QuotaEpoch(DateTimeOffset Start, DateTimeOffset? End, long AfterSeq, decimal Limit)
{
    public bool Contains(DateTimeOffset receivedAt, long seq) => seq > AfterSeq && receivedAt >= Start && (End is null || receivedAt < End);
}
