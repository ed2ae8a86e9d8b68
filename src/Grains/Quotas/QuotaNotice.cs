namespace Metering.Grains.Quotas;

/// <summary>Notifications of one quota at one instant: the quota as it stands (<see cref="View"/>), the window it counts
/// (<see cref="Epoch"/>, which makes each crossing once per window), the crossings reached, and the event sequence they
/// count through (<see cref="Seq"/>: recorded with them as the quota's checkpoint).</summary>
public sealed record QuotaNotice(string TenantId, string SubscriptionId, QuotaView View, QuotaEpoch Epoch, IReadOnlyList<QuotaCrossing> Crossings, DateTimeOffset At, long Seq = 0);
