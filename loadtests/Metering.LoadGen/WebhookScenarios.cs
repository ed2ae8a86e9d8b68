using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Metering.Client;

namespace Metering.LoadGen;

/// <summary>Webhook scenarios (the silo must run with <c>Webhooks__AllowLoopback=true</c> and a <c>Webhooks__Timeout</c> longer
/// than the fill takes). <c>drain</c>: the outbox is filled while the receiver holds its first request, then released; the
/// figure is deliveries per second until the receiver has every notification.</summary>
internal static class WebhookScenarios
{
    /// <summary>Thresholds at every 10 %: one batch of ten events at the limit crosses all ten and exhausts the quota.</summary>
    public static readonly int[] Tenths = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

    public static async Task<int> DrainAsync(Uri silo, string adminKey, int subscriptions, int endpoints)
    {
        await using FastReceiver receiver = await FastReceiver.StartAsync();
        using MeteringClient client = await TenantAsync(silo, adminKey);
        await client.PostAsync("/v1/meters", new { code = "calls", event_type = "call", aggregation = "count" });
        await client.PostAsync("/v1/customers", new { id = "c", currency = "USD" });
        await client.PostAsync("/v1/plans", new { code = "p", currency = "USD", interval = "month" });
        for (int e = 0; e < endpoints; e++)
        {
            (int status, JsonElement body) = await client.PostAsync("/v1/webhook-endpoints", new { url = $"{receiver.Url}/e{e}", events = new[] { "quota.threshold_reached", "quota.exhausted" } });
            if (status != 201)
            {
                Console.Error.WriteLine($"Could not register an endpoint: {status} {body}");
                return 1;
            }
        }

        for (int s = 0; s < subscriptions; s++)
        {
            await client.PostAsync("/v1/subscriptions", new { id = $"s{s}", customer_id = "c", plan = "p", subjects = new[] { $"agent:{s}" } });
            await client.PutQuotaAsync($"s{s}", "calls", new { limit = "10", period = "day", overflow = "allow_overage", thresholds = Tenths });
        }

        using var anonymous = new HttpClient { BaseAddress = silo };
        long before = await DepthAsync(anonymous);
        var fill = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, subscriptions), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (s, ct) =>
            await client.SendBatchAsync(Enumerable.Range(0, 10).Select(i => (object)new { idempotency_key = $"s{s}-{i}", subject = $"agent:{s}", event_type = "call", properties = new { } }), ct));
        int expected = subscriptions * (Tenths.Length + 1) * endpoints;
        while (await DepthAsync(anonymous) - before < expected)
        {
            if (fill.Elapsed > TimeSpan.FromSeconds(120))
            {
                Console.Error.WriteLine($"The outbox holds {await DepthAsync(anonymous)} of {expected} deliveries after 120 s.");
                return 1;
            }

            await Task.Delay(50);
        }

        Console.WriteLine($"outbox filled: {expected} deliveries ({subscriptions} subscriptions × 11 notifications × {endpoints} endpoint(s)) in {fill.Elapsed.TotalSeconds:F1} s");
        var drain = Stopwatch.StartNew();
        receiver.Gate.SetResult();
        while (receiver.Distinct < expected && drain.Elapsed < TimeSpan.FromSeconds(120))
        {
            await Task.Delay(10);
        }

        double seconds = drain.Elapsed.TotalSeconds;
        Console.WriteLine($"webhooks drain endpoints={endpoints} delivered={receiver.Distinct}/{expected} requests={receiver.Requests} in {seconds:F2}s => {receiver.Distinct / seconds:F0} deliveries/s");
        return receiver.Distinct == expected ? 0 : 1;
    }

    /// <summary>Before an ingest run: a sum quota on every subscription's tokens meter, per minute, with thresholds at every
    /// 10 % of a limit a subscription reaches in about ten seconds at <paramref name="rate"/> (so each crosses one about every
    /// second), and an endpoint at a fast receiver taking them; or (<paramref name="notify"/> false) the same quotas with no
    /// thresholds, the baseline.</summary>
    public static async Task<FastReceiver?> ThresholdsAsync(MeteringClient client, int subscriptions, double rate, bool notify)
    {
        FastReceiver? receiver = null;
        if (notify)
        {
            receiver = await FastReceiver.StartAsync();
            receiver.Gate.SetResult();
            await client.PostAsync("/v1/webhook-endpoints", new { url = $"{receiver.Url}/ingest", events = new[] { "quota.threshold_reached", "quota.exhausted" } });
        }

        // Events carry tokens n % 1000 (about 500 each); a subscription gets rate / subscriptions events a second.
        decimal limit = Math.Round((decimal)(rate / subscriptions) * 500m * 10m);
        for (int s = 0; s < subscriptions; s++)
        {
            await client.PutQuotaAsync($"s{s}", "tokens", new { limit = limit.ToString(CultureInfo.InvariantCulture), period = "minute", overflow = "allow_overage", thresholds = notify ? Tenths : [] });
        }

        return receiver;
    }

    private static async Task<MeteringClient> TenantAsync(Uri silo, string adminKey)
    {
        using var admin = new MeteringClient(silo, adminKey);
        (int status, JsonElement created) = await admin.PostAsync("/admin/v1/tenants", new { id = "wh_" + Guid.NewGuid().ToString("N")[..8] });
        return status == 201 ? new MeteringClient(silo, created.GetProperty("api_key").GetString()!, new SocketsHttpHandler { MaxConnectionsPerServer = 64 })
            : throw new InvalidOperationException($"Could not create a tenant: {status} {created}");
    }

    private static async Task<long> DepthAsync(HttpClient client)
    {
        string metrics = await client.GetStringAsync("/metrics");
        string line = metrics.Split('\n').First(l => l.StartsWith("metering_webhook_outbox_depth ", StringComparison.Ordinal));
        return long.Parse(line.AsSpan("metering_webhook_outbox_depth ".Length), CultureInfo.InvariantCulture);
    }
}
