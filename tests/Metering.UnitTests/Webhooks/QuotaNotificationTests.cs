using Metering.Grains.Quotas;
using Metering.Grains.Webhooks;
using Metering.QuotaTesting;
using Metering.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Metering.UnitTests.Webhooks;

/// <summary>The quota grain records the thresholds its committed usage reaches: once per window, again in a new window, and
/// again after a failed recording (the outbox key makes a repeat harmless).</summary>
public sealed class QuotaNotificationTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Consumes <paramref name="count"/> units. The committed events reach the grain in a call queued before each
    /// consume answers; an empty delivery queued after them returns once they have been handled.</summary>
    private static async Task ConsumeAsync(IQuotaGrain quota, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(ConsumeStatus.Allowed, (await quota.ConsumeAsync(new ConsumeRequest("agent:a", 1, "k" + Guid.NewGuid()))).Status);
        }

        await quota.OnEventsAsync([]);
    }

    [Fact]
    public async Task Each_threshold_is_recorded_once_per_window_with_the_quota_and_its_window()
    {
        var time = new ManualClock(s_t0);
        using IHost host = await QuotaGrainHost.StartAsync(time);
        RecordedNotices notices = host.Services.GetRequiredService<RecordedNotices>();
        IQuotaGrain quota = host.Quota();
        await quota.SetAsync(new QuotaDefinition(4, QuotaPeriod.Hour, QuotaOverflow.AllowOverage, null));

        await ConsumeAsync(quota, 2);
        QuotaNotice first = Assert.Single(notices.Notices);
        Assert.Equal((QuotaGrainHost.Tenant, QuotaGrainHost.SubscriptionId, "calls"), (first.TenantId, first.SubscriptionId, first.View.Meter));
        Assert.Equal([new QuotaCrossing(NotificationType.QuotaThresholdReached, 50m)], first.Crossings);
        Assert.Equal((2m, s_t0), (first.View.Used, first.Epoch.Start));

        await ConsumeAsync(quota, 3);
        Assert.Equal(
            [new QuotaCrossing(NotificationType.QuotaThresholdReached, 80m), new QuotaCrossing(NotificationType.QuotaThresholdReached, 100m), new QuotaCrossing(NotificationType.QuotaExhausted, 100m)],
            notices.Notices[1].Crossings);
        await ConsumeAsync(quota, 1);
        Assert.Equal(2, notices.Notices.Count);

        time.Advance(TimeSpan.FromHours(1));
        await ConsumeAsync(quota, 2);
        Assert.Equal(3, notices.Notices.Count);
        Assert.Equal(s_t0.AddHours(1), notices.Notices[2].Epoch.Start);
    }

    [Fact]
    public async Task A_recording_that_failed_is_made_again_at_the_next_event()
    {
        var time = new ManualClock(s_t0);
        using IHost host = await QuotaGrainHost.StartAsync(time);
        RecordedNotices notices = host.Services.GetRequiredService<RecordedNotices>();
        IQuotaGrain quota = host.Quota();
        await quota.SetAsync(new QuotaDefinition(2, QuotaPeriod.Hour, QuotaOverflow.AllowOverage, null) { Thresholds = [50m] });
        notices.Fail = true;
        await ConsumeAsync(quota, 1);
        Assert.Empty(notices.Notices);

        notices.Fail = false;
        await ConsumeAsync(quota, 1);
        Assert.Equal(
            [new QuotaCrossing(NotificationType.QuotaThresholdReached, 50m), new QuotaCrossing(NotificationType.QuotaExhausted, 100m)],
            Assert.Single(notices.Notices).Crossings);
    }

    [Fact]
    public async Task The_checkpoint_is_recorded_with_each_crossing_and_without_one_at_most_every_interval()
    {
        var time = new ManualClock(s_t0);
        using IHost host = await QuotaGrainHost.StartAsync(time);
        RecordedNotices notices = host.Services.GetRequiredService<RecordedNotices>();
        ScriptedQuotaStore store = host.Services.GetRequiredService<ScriptedQuotaStore>();
        IQuotaGrain quota = host.Quota();
        await quota.SetAsync(new QuotaDefinition(100, QuotaPeriod.Hour, QuotaOverflow.AllowOverage, null));

        await ConsumeAsync(quota, 1);
        long first = Assert.Single(store.Checked).Seq;
        Assert.True(first > 0);
        await ConsumeAsync(quota, 1);
        Assert.Single(store.Checked);

        time.Advance(QuotaGrain.CheckpointInterval);
        await ConsumeAsync(quota, 1);
        Assert.Equal(2, store.Checked.Count);
        Assert.True(store.Checked[1].Seq > first);

        // The crossing at 50 carries the sequence it counts through: the checkpoint goes with it, not on its own.
        await ConsumeAsync(quota, 47);
        QuotaNotice notice = Assert.Single(notices.Notices);
        Assert.True(notice.Seq > store.Checked[1].Seq);
        Assert.Equal(2, store.Checked.Count);
    }
}
