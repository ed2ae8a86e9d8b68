namespace Metering.Grains.Quotas;

/// <summary>Notifications of one quota at one instant: the quota as it stands (<see cref="View"/>), the window it counts
/// (<see cref="Epoch"/>, which makes each crossing once per window) and the crossings reached.</summary>
public sealed record QuotaNotice(string TenantId, string SubscriptionId, QuotaView View, QuotaEpoch Epoch, IReadOnlyList<QuotaCrossing> Crossings, DateTimeOffset At);
