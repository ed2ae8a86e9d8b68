using Metering.Grains.Catalog;

namespace Metering.Grains.Quotas;

/// <summary>A quota as seen at one instant. For credits, <see cref="Limit"/> is the balance granted at the last set, refill
/// or adjustment, and <see cref="Used"/> what was used since. <see cref="Allowed"/> answers "may <c>amount</c> more be used?".</summary>
public sealed record QuotaView(
    string Meter,
    QuotaDefinition Definition,
    decimal Limit,
    decimal Used,
    decimal Remaining,
    decimal? Overage,
    DateTimeOffset? ResetsAt,
    bool Allowed);
