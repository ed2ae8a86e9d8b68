using System.Text.Json;
using Metering.Grains.Audit;
using Metering.Grains.Catalog;
using Metering.Grains.Events;
using Metering.Grains.Quotas;
using Metering.QuotaTesting;
using Metering.Testing;
using Metering.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Metering.UnitTests.Quotas;

/// <summary>The quota grain's contract edge by edge: what it registers, what it counts from the log and from the subscription
/// grain, what it audits, and how it answers when the quota, its meter or the log is missing.</summary>
public sealed class QuotaGrainContractTests
{
    private static readonly DateTimeOffset s_now = T("2026-11-21T10:30:00Z");

    private static DateTimeOffset T(string s) => DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    private static Task<ConsumeResult> Consume(IQuotaGrain quota, string key, decimal amount = 1) => quota.ConsumeAsync(new ConsumeRequest("agent:a", amount, key));

    private static QuotaDefinition Hourly(decimal limit) => new(limit, QuotaPeriod.Hour, QuotaOverflow.Block, null);

    private static QuotaDefinition Credits(decimal balance) => new(balance, QuotaPeriod.None, QuotaOverflow.Block, null);

    private static QuotaEvent Tokens(long seq, decimal tokens, DateTimeOffset receivedAt, bool counts = true)
        => new(seq, $"e{seq}", receivedAt, receivedAt, counts, tokens, null);

    private static T Service<T>(IHost host) where T : notnull => host.Services.GetRequiredService<T>();

    [Fact]
    public async Task A_quota_on_a_missing_meter_or_subscription_is_refused_and_everything_answers_not_configured()
    {
        using IHost host = await QuotaGrainHost.StartAsync(new ManualClock(s_now));
        foreach ((IQuotaGrain quota, string meter, string subscription) in new[] { (host.Quota("nope"), "nope", "sub_1"), (host.Quota("calls", "sub_gone"), "calls", "sub_gone") })
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => quota.SetAsync(Hourly(3)));
            Assert.Equal($"Subscription {subscription} or meter {meter} does not exist.", refused.Message);
            Assert.Null(await quota.CheckAsync(1));
            Assert.Equal(new ConsumeResult(ConsumeStatus.NotConfigured, 0), await Consume(quota, "k"));
            Assert.Null(await quota.AdjustCreditsAsync(new CreditAdjustment(10, null, null)));
        }

        IQuotaGrain unset = host.Quota("tokens");
        Assert.Null(await unset.CheckAsync(1));
        Assert.Equal(ConsumeStatus.NotConfigured, (await Consume(unset, "k")).Status);
        Assert.Null(await unset.AdjustCreditsAsync(new CreditAdjustment(10, null, null)));
        await unset.OnEventsAsync([Tokens(1, 5, s_now)]);
        Assert.Null(await unset.CheckAsync(1));
        Assert.Empty(Service<ScriptedQuotaStore>(host).Registered);
        Assert.Empty(Service<SubscriptionLedger>(host).Watched);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_first_set_registers_the_meter_and_asks_the_subscription_to_pass_its_events_on_and_a_second_set_does_not()
    {
        using IHost host = await QuotaGrainHost.StartAsync(new ManualClock(s_now));
        IQuotaGrain quota = host.Quota("tokens");
        QuotaView set = await quota.SetAsync(Hourly(10));
        Assert.Equal((10m, 0m, 10m, T("2026-11-21T11:00:00Z"), true), (set.Limit, set.Used, set.Remaining, set.ResetsAt, set.Allowed));
        Assert.Equal(["t/sub_1#tokens"], Service<ScriptedQuotaStore>(host).Registered);
        Assert.Equal(["tokens"], Service<SubscriptionLedger>(host).Watched);
        await quota.SetAsync(Hourly(20));
        Assert.Equal(["t/sub_1#tokens"], Service<ScriptedQuotaStore>(host).Registered);
        Assert.Equal(["tokens"], Service<SubscriptionLedger>(host).Watched);
        Assert.Equal(20, (await quota.CheckAsync(0))!.Limit);
        await host.StopAsync();
    }

    [Fact]
    public async Task Activation_counts_the_windows_events_from_the_log_and_skips_them_when_they_are_passed_on_again()
    {
        var time = new ManualClock(s_now);
        using IHost host = await QuotaGrainHost.StartAsync(time);
        ScriptedQuotaStore store = Service<ScriptedQuotaStore>(host);
        store.Events.AddRange([Tokens(1, 4, T("2026-11-21T09:59:59Z")), Tokens(2, 5, T("2026-11-21T10:00:00Z")), Tokens(3, 6, T("2026-11-21T10:10:00Z"), counts: false), Tokens(7, 7, T("2026-11-21T10:20:00Z"))]);
        store.LastSeq = 9;
        IQuotaGrain quota = host.Quota("tokens");
        Assert.Equal(12, (await quota.SetAsync(Hourly(100))).Used);

        // Passed on again, or out of order below the log's last sequence: counted once. New ones count, unless they do not.
        await quota.OnEventsAsync([Tokens(2, 5, T("2026-11-21T10:00:00Z")), Tokens(9, 50, T("2026-11-21T10:25:00Z")), Tokens(10, 3, s_now), Tokens(11, 8, s_now, counts: false), Tokens(10, 3, s_now)]);
        Assert.Equal(15, (await quota.CheckAsync(0))!.Used);

        // An event received after the window ends (its commit was seen before the clock moved) opens the next window.
        await quota.OnEventsAsync([Tokens(12, 2, T("2026-11-21T11:00:01Z"))]);
        QuotaView next = (await quota.CheckAsync(0))!;
        Assert.Equal((2m, T("2026-11-21T12:00:00Z")), (next.Used, next.ResetsAt));

        // Dropped and activated again: the state is read back and the window's events come from the log, which holds one
        // this activation never saw; passed on again afterwards, they count once.
        store.Events.Clear();
        store.Events.AddRange([Tokens(12, 2, T("2026-11-21T11:00:01Z")), Tokens(13, 5, T("2026-11-21T11:10:00Z"))]);
        store.LastSeq = 13;
        time.Set(T("2026-11-21T11:30:00Z"));
        await quota.ResyncAsync();
        QuotaView reloaded = (await quota.CheckAsync(0))!;
        Assert.Equal((100m, 7m), (reloaded.Limit, reloaded.Used));
        await quota.OnEventsAsync([Tokens(13, 5, T("2026-11-21T11:10:00Z"))]);
        Assert.Equal(7, (await quota.CheckAsync(0))!.Used);
        await host.StopAsync();
    }

    [Fact]
    public async Task Credits_count_only_what_is_committed_after_the_logs_last_sequence_when_set()
    {
        using IHost host = await QuotaGrainHost.StartAsync(new ManualClock(s_now));
        Service<ScriptedQuotaStore>(host).LastSeq = 5;
        Service<SubscriptionLedger>(host).Seq = 5;
        IQuotaGrain quota = host.Quota("tokens");
        await quota.SetAsync(Credits(50));
        await quota.OnEventsAsync([Tokens(5, 10, s_now)]);
        Assert.Equal(0, (await quota.CheckAsync(0))!.Used);
        Assert.Equal(40, (await Consume(quota, "a", 10)).Remaining);
        Assert.Equal(6, Service<SubscriptionLedger>(host).Seq);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_denial_is_audited_with_the_request_and_the_window_it_was_judged_in()
    {
        using IHost host = await QuotaGrainHost.StartAsync(new ManualClock(s_now));
        IQuotaGrain quota = host.Quota("tokens");
        await quota.SetAsync(Hourly(10));
        Assert.Equal(ConsumeStatus.Allowed, (await Consume(quota, "a", 7)).Status);
        Assert.Equal(new ConsumeResult(ConsumeStatus.Denied, 3), await Consume(quota, "b", 4));

        AuditEntry entry = Assert.Single(Service<CountingAudit>(host).Entries);
        Assert.Equal(("t", s_now, "quota.denied", "subscription:sub_1", "agent:a"), (entry.TenantId, entry.At, entry.Action, entry.Actor, entry.Subject));
        Assert.Equal(
            new Dictionary<string, string> { ["subscription_id"] = "sub_1", ["meter"] = "tokens", ["amount"] = "4", ["used"] = "7", ["limit"] = "10", ["idempotency_key"] = "b" },
            JsonSerializer.Deserialize<Dictionary<string, string>>(entry.DetailsJson));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_consume_the_log_cannot_record_fails_holds_nothing_back_and_can_be_retried()
    {
        using IHost host = await QuotaGrainHost.StartAsync(new ManualClock(s_now));
        SubscriptionLedger ledger = Service<SubscriptionLedger>(host);
        IQuotaGrain quota = host.Quota("tokens");
        await quota.SetAsync(Hourly(10));
        ledger.Fail = true;
        Assert.Equal(new ConsumeResult(ConsumeStatus.Failed, 10, null, "The usage could not be recorded; retry with the same idempotency key."), await Consume(quota, "a", 6));
        Assert.Equal((0m, 10m), ((await quota.CheckAsync(0))!.Used, (await quota.CheckAsync(0))!.Remaining));

        ledger.Fail = false;
        Assert.Equal(new ConsumeResult(ConsumeStatus.Allowed, 4, null), await Consume(quota, "a", 6));
        Assert.Equal(new ConsumeResult(ConsumeStatus.KeyReused, 4, null, "This idempotency key was used before for another request or event."), await Consume(quota, "a", 5));
        await host.StopAsync();
    }

    [Fact]
    public async Task While_a_consume_is_being_recorded_it_counts_for_checks_and_for_others_and_its_retry_waits_for_its_answer()
    {
        using IHost host = await QuotaGrainHost.StartAsync(new ManualClock(s_now));
        SubscriptionLedger ledger = Service<SubscriptionLedger>(host);
        IQuotaGrain quota = host.Quota("tokens");
        await quota.SetAsync(Hourly(10));
        ledger.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<ConsumeResult> first = Consume(quota, "a", 6);
        while ((await quota.CheckAsync(0))!.Used == 0)
        {
            await Task.Yield();
        }

        QuotaView during = (await quota.CheckAsync(5))!;
        Assert.Equal((6m, 4m, false), (during.Used, during.Remaining, during.Allowed));
        Assert.Equal(new ConsumeResult(ConsumeStatus.Denied, 4), await Consume(quota, "b", 5));
        Task<ConsumeResult> retry = Consume(quota, "a", 6);
        Assert.Equal(new ConsumeResult(ConsumeStatus.KeyReused, 0, null, "This idempotency key was used before for another request or event."), await Consume(quota, "a", 2));
        Assert.False(retry.IsCompleted);

        ledger.Hold.SetResult();
        Assert.Equal(new ConsumeResult(ConsumeStatus.Allowed, 4, null), await first);
        Assert.Equal(await first, await retry);
        Assert.Single(ledger.Ingested);
        Assert.Equal(6, (await quota.CheckAsync(0))!.Used);
        await host.StopAsync();
    }

    [Fact]
    public async Task An_answer_counts_the_consumes_still_being_recorded()
    {
        using IHost host = await QuotaGrainHost.StartAsync(new ManualClock(s_now));
        SubscriptionLedger ledger = Service<SubscriptionLedger>(host);
        IQuotaGrain quota = host.Quota("tokens");
        await quota.SetAsync(Hourly(10));
        TaskCompletionSource first = new(TaskCreationOptions.RunContinuationsAsynchronously), second = new(TaskCreationOptions.RunContinuationsAsynchronously);
        ledger.Gates.Enqueue(first);
        ledger.Gates.Enqueue(second);
        Task<ConsumeResult> a = Consume(quota, "a", 3);
        while (ledger.Gates.Count > 1)
        {
            await Task.Yield(); // a's commit has taken the first gate
        }

        Task<ConsumeResult> b = Consume(quota, "b", 4);
        while ((await quota.CheckAsync(0))!.Used < 7)
        {
            await Task.Yield(); // b is reserved too
        }

        first.SetResult();
        Assert.Equal(new ConsumeResult(ConsumeStatus.Allowed, 3, null), await a); // b, still being recorded, is counted
        second.SetResult();
        Assert.Equal(new ConsumeResult(ConsumeStatus.Allowed, 3, null), await b);
        await host.StopAsync();
    }

    [Fact]
    public async Task Remembered_decisions_are_bounded_and_a_forgotten_denial_is_decided_afresh()
    {
        using IHost host = await QuotaGrainHost.StartAsync(new ManualClock(s_now));
        IQuotaGrain quota = host.Quota("tokens");
        await quota.SetAsync(Credits(0));
        Assert.Equal(ConsumeStatus.Denied, (await Consume(quota, "first", 5)).Status);
        for (int i = 1; i < 100_000; i++)
        {
            await Consume(quota, $"d{i}", 5); // 100,000 decisions remembered, the first one's included
        }

        await quota.AdjustCreditsAsync(new CreditAdjustment(10, null, null));
        Assert.Equal(ConsumeStatus.Denied, (await Consume(quota, "first", 5)).Status); // still remembered
        await Consume(quota, "one-more", 100); // the 100,001st decision: the memory is full and starts again
        Assert.Equal(new ConsumeResult(ConsumeStatus.Allowed, 5, null), await Consume(quota, "first", 5));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_denial_is_remembered_for_its_key_even_when_room_is_made_later()
    {
        using IHost host = await QuotaGrainHost.StartAsync(new ManualClock(s_now));
        IQuotaGrain quota = host.Quota("tokens");
        await quota.SetAsync(Credits(10));
        Assert.Equal(ConsumeStatus.Allowed, (await Consume(quota, "a", 8)).Status);
        Assert.Equal(new ConsumeResult(ConsumeStatus.Denied, 2), await Consume(quota, "b", 5));
        Assert.Equal(12, (await quota.AdjustCreditsAsync(new CreditAdjustment(null, 10, null)))!.Remaining);
        Assert.Equal(new ConsumeResult(ConsumeStatus.Denied, 2), await Consume(quota, "b", 5));
        Assert.Equal(new ConsumeResult(ConsumeStatus.Allowed, 7, null), await Consume(quota, "c", 5));
        await host.StopAsync();
    }

    [Fact]
    public async Task An_adjustment_applies_to_the_balance_refilled_since_and_outlives_the_activation()
    {
        var time = new ManualClock(s_now);
        using IHost host = await QuotaGrainHost.StartAsync(time);
        IQuotaGrain quota = host.Quota("tokens");
        await quota.SetAsync(new QuotaDefinition(50, QuotaPeriod.None, QuotaOverflow.Block, new QuotaRefill(40, RefillInterval.Day)));
        Assert.Equal(20, (await Consume(quota, "a", 30)).Remaining);
        time.Set(T("2026-11-22T08:00:00Z"));
        QuotaView adjusted = (await quota.AdjustCreditsAsync(new CreditAdjustment(null, 5, null)))!;
        Assert.Equal((45m, 0m, 45m), (adjusted.Limit, adjusted.Used, adjusted.Remaining));

        await quota.ResyncAsync();
        QuotaView reloaded = (await quota.CheckAsync(0))!;
        Assert.Equal((45m, 0m, 45m, T("2026-11-23T00:00:00Z")), (reloaded.Limit, reloaded.Used, reloaded.Remaining, reloaded.ResetsAt));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_quota_whose_meter_is_deleted_answers_not_configured_once_activated_again()
    {
        using IHost host = await QuotaGrainHost.StartAsync(new ManualClock(s_now));
        IQuotaGrain quota = host.Quota("tokens");
        await quota.SetAsync(Hourly(10));
        ((FixedCatalog)Service<ICatalogReader>(host)).Removed.Add("tokens");
        Assert.NotNull(await quota.CheckAsync(0));
        await quota.ResyncAsync();
        Assert.Null(await quota.CheckAsync(0));
        Assert.Equal(ConsumeStatus.NotConfigured, (await Consume(quota, "a")).Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task Adjusting_credits_of_a_windowed_quota_changes_nothing()
    {
        using IHost host = await QuotaGrainHost.StartAsync(new ManualClock(s_now));
        IQuotaGrain quota = host.Quota("tokens");
        await quota.SetAsync(Hourly(10));
        await Consume(quota, "a", 4);
        QuotaView view = (await quota.AdjustCreditsAsync(new CreditAdjustment(100, null, null)))!;
        Assert.Equal((10m, 4m, 6m), (view.Limit, view.Used, view.Remaining));
        Assert.Equal(10, (await quota.CheckAsync(0))!.Limit);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_consume_on_a_nested_value_property_records_the_amount_at_that_path()
    {
        using IHost host = await QuotaGrainHost.StartAsync(new ManualClock(s_now));
        IQuotaGrain quota = host.Quota("nested");
        await quota.SetAsync(Hourly(100));
        Assert.Equal(88, (await Consume(quota, "a", 12)).Remaining);
        IncomingEvent recorded = Assert.Single(Service<SubscriptionLedger>(host).Ingested);
        Assert.Equal("""{"usage":{"prompt":{"tokens":12}}}""", recorded.PropertiesJson);
        Assert.Equal(("a", "agent:a", "chat", s_now, s_now), (recorded.IdempotencyKey, recorded.Subject, recorded.EventType, recorded.Timestamp, recorded.ReceivedAt));
        Assert.Equal(12, (await quota.CheckAsync(0))!.Used);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_set_that_loses_a_race_on_the_stored_state_drops_the_activation_which_then_reads_the_winner()
    {
        using IHost host = await QuotaGrainHost.StartAsync(new ManualClock(s_now));
        IQuotaGrain quota = host.Quota("tokens");
        await quota.SetAsync(Hourly(10));

        // Another writer moves the stored state on (version 1 → 2) behind this activation's back.
        var storage = Service<IGrainStorage>(host);
        string key = QuotaKey.Of(QuotaGrainHost.Tenant, QuotaGrainHost.SubscriptionId, "tokens");
        byte[] winner = JsonSerializer.SerializeToUtf8Bytes(new QuotaState { Definition = Hourly(77), Balance = 77 }, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        await storage.WriteAsync("quota", key, winner, 1, new FencingToken("other", 0, 1), CancellationToken.None);

        await Assert.ThrowsAsync<InconsistentStateException>(() => quota.SetAsync(Hourly(20)));
        Assert.Equal(77, (await quota.CheckAsync(0))!.Limit);
        await host.StopAsync();
    }
}
