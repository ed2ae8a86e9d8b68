namespace Metering.Grains.Quotas;

/// <summary>Where a quota grain records the notifications its usage calls for (the webhook outbox).</summary>
public interface IQuotaNotifications
{
    /// <summary>Records the crossings of <paramref name="notice"/>. Each is kept once per quota window however often it is
    /// recorded, so a grain may record again whatever it is not sure was recorded.</summary>
    Task RecordAsync(QuotaNotice notice, CancellationToken cancellationToken = default);
}
