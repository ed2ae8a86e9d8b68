using Metering.Grains.Quotas;
using Metering.QuotaTesting;
using Metering.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Metering.Grains.Audit;

namespace Metering.UnitTests.Quotas;

/// <summary>The quota grain on a clock under the test's control: windows roll with server time, refills restore credits.</summary>
public sealed class QuotaGrainTests
{
    private static DateTimeOffset T(string s) => DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    private static Task<ConsumeResult> Consume(IQuotaGrain quota, string key, decimal amount = 1) => quota.ConsumeAsync(new ConsumeRequest("agent:a", amount, key));

    [Fact]
    public async Task An_hourly_window_rolls_at_the_hour_of_server_time()
    {
        var time = new ManualClock(T("2026-11-21T10:59:30Z"));
        using IHost host = await QuotaGrainHost.StartAsync(time);
        IQuotaGrain quota = host.Quota();
        await quota.SetAsync(new QuotaDefinition(3, QuotaPeriod.Hour, QuotaOverflow.Block, null));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(ConsumeStatus.Allowed, (await Consume(quota, $"k{i}")).Status);
        }

        ConsumeResult denied = await Consume(quota, "k3");
        Assert.Equal(ConsumeStatus.Denied, denied.Status);
        Assert.Equal(1, host.Services.GetRequiredService<IAuditLog>() is CountingAudit audit ? audit.Count : -1);
        QuotaView before = (await quota.CheckAsync(1))!;
        Assert.Equal((false, 3m, T("2026-11-21T11:00:00Z")), (before.Allowed, before.Used, before.ResetsAt));

        time.Set(T("2026-11-21T11:00:00Z"));
        QuotaView after = (await quota.CheckAsync(1))!;
        Assert.Equal((true, 0m, 3m, T("2026-11-21T12:00:00Z")), (after.Allowed, after.Used, after.Remaining, after.ResetsAt));
        Assert.Equal(2, (await Consume(quota, "k4")).Remaining);
        // The key denied in the last window is a new request in this one.
        Assert.Equal(ConsumeStatus.Allowed, (await Consume(quota, "k3")).Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task Credits_refill_to_the_amount_at_each_utc_day()
    {
        var time = new ManualClock(T("2026-11-21T18:00:00Z"));
        using IHost host = await QuotaGrainHost.StartAsync(time);
        IQuotaGrain quota = host.Quota("tokens");
        await quota.SetAsync(new QuotaDefinition(50, QuotaPeriod.None, QuotaOverflow.Block, new QuotaRefill(40, RefillInterval.Day)));
        Assert.Equal(20, (await Consume(quota, "a", 30)).Remaining);
        Assert.Equal(ConsumeStatus.Denied, (await Consume(quota, "b", 25)).Status);
        Assert.Equal(30, (await quota.AdjustCreditsAsync(new CreditAdjustment(null, 10, null)))!.Remaining);
        Assert.Equal(5, (await Consume(quota, "c", 25)).Remaining);

        time.Set(T("2026-11-22T00:00:00Z"));
        QuotaView refilled = (await quota.CheckAsync(1))!;
        Assert.Equal((40m, 0m, 40m, T("2026-11-23T00:00:00Z")), (refilled.Limit, refilled.Used, refilled.Remaining, refilled.ResetsAt));
        Assert.Equal(15, (await Consume(quota, "d", 25)).Remaining);
        await host.StopAsync();
    }

    [Fact]
    public async Task Concurrent_consumes_of_one_grain_never_pass_the_limit_and_retries_count_once()
    {
        using IHost host = await QuotaGrainHost.StartAsync(new ManualClock(T("2026-11-21T10:00:00Z")));
        IQuotaGrain quota = host.Quota("tokens");
        await quota.SetAsync(new QuotaDefinition(100, QuotaPeriod.Day, QuotaOverflow.Block, null));
        // 60 distinct requests of 7 plus each one sent twice at once: 14 fit (98), and every copy gets its original's decision.
        ConsumeResult[] results = await Task.WhenAll(Enumerable.Range(0, 120).Select(i => Consume(quota, $"r{i % 60}", 7)));
        Assert.Equal(28, results.Count(r => r.Status == ConsumeStatus.Allowed));
        for (int i = 0; i < 60; i++)
        {
            Assert.Equal(results[i].Status, results[i + 60].Status);
        }

        QuotaView view = (await quota.CheckAsync(0))!;
        Assert.Equal(98, view.Used);
        Assert.Equal(ConsumeStatus.KeyReused, (await Consume(quota, "r0", 1)).Status);
        await host.StopAsync();
    }
}
