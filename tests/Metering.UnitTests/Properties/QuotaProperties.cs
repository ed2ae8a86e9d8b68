using Metering.Grains.Quotas;
using Metering.QuotaTesting;
using Metering.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Metering.UnitTests.Properties;

/// <summary>A quota never lets used + amount pass its limit, whatever the schedule: seeded random bursts of concurrent
/// consumes, some held in flight while others arrive, retries of earlier keys, and the clock crossing window boundaries.</summary>
public sealed class QuotaProperties
{
    public static TheoryData<int, QuotaPeriod> Schedules()
    {
        var schedules = new TheoryData<int, QuotaPeriod>();
        for (int seed = 1; seed <= 12; seed++)
        {
            schedules.Add(seed, seed % 3 == 0 ? QuotaPeriod.None : QuotaPeriod.Minute);
        }

        return schedules;
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public async Task No_schedule_of_consumes_takes_a_window_past_its_limit(int seed, QuotaPeriod period)
    {
        var random = new Random(seed);
        var time = new ManualClock(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero));
        using IHost host = await QuotaGrainHost.StartAsync(time);
        SubscriptionLedger ledger = host.Services.GetRequiredService<SubscriptionLedger>();
        IQuotaGrain quota = host.Quota("tokens");
        decimal limit = random.Next(20, 120);
        await quota.SetAsync(new QuotaDefinition(limit, period, QuotaOverflow.Block, null));

        // The oracle: the first decision for each key in the current window, and what the allowed ones add up to.
        var decisions = new Dictionary<string, (decimal Amount, ConsumeStatus Status)>();
        int keys = 0;
        for (int step = 0; step < 30; step++)
        {
            if (period != QuotaPeriod.None && random.Next(6) == 0)
            {
                time.Set(time.GetUtcNow().AddSeconds(random.Next(10, 90)));
                if ((await quota.CheckAsync(0))!.Used == 0)
                {
                    decisions.Clear(); // a new window
                }
            }

            // A burst of consumes, new keys and retries of earlier ones, sent at once; half the time the log holds them
            // in flight until all have been decided.
            var burst = new List<(string Key, decimal Amount)>();
            for (int i = random.Next(1, 12); i > 0; i--)
            {
                burst.Add(decisions.Count > 0 && random.Next(4) == 0
                    ? decisions.ElementAt(random.Next(decisions.Count)) is var (key, (amount, _)) ? (key, amount) : default
                    : ($"k{keys++}", random.Next(1, 15)));
            }

            bool hold = random.Next(2) == 0;
            ledger.Hold = hold ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
            Task<ConsumeResult>[] sent = burst.Select(r => quota.ConsumeAsync(new ConsumeRequest("agent:a", r.Amount, r.Key))).ToArray();
            if (hold)
            {
                await Task.Delay(random.Next(0, 3));
                ledger.Hold!.SetResult();
            }

            ConsumeResult[] results = await Task.WhenAll(sent);
            for (int i = 0; i < burst.Count; i++)
            {
                (string key, decimal amount) = burst[i];
                Assert.NotEqual(ConsumeStatus.Failed, results[i].Status);
                Assert.NotEqual(ConsumeStatus.KeyReused, results[i].Status);
                if (decisions.TryGetValue(key, out var first) && first.Status == ConsumeStatus.Allowed)
                {
                    Assert.Equal(ConsumeStatus.Allowed, results[i].Status); // a retry of an allowed key keeps its answer
                }
                else if (!decisions.ContainsKey(key) || results[i].Status == ConsumeStatus.Allowed)
                {
                    decisions[key] = (amount, results[i].Status);
                }
            }

            decimal allowed = decisions.Values.Where(d => d.Status == ConsumeStatus.Allowed).Sum(d => d.Amount);
            QuotaView view = (await quota.CheckAsync(0))!;
            Assert.True(allowed <= limit, $"seed {seed}, step {step}: {allowed} allowed against a limit of {limit}");
            Assert.True(view.Used == allowed, $"seed {seed}, step {step}: the quota counts {view.Used}, the allowed consumes add up to {allowed}");
            Assert.Equal(limit - allowed, view.Remaining);
        }

        await host.StopAsync();
    }
}
