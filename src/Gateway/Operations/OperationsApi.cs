using System.Globalization;
using System.Text;
using Metering.Gateway.Events;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Runtime;
using Metering.Silo.ApiKeys;
using Metering.Silo.Events;
using Metering.Silo.Hosting;
using Metering.Silo.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Operations;

public static class OperationsApi
{
    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" }));
        app.MapGet("/health/ready", Ready);
        app.MapGet("/metrics", Metrics).Produces<string>(StatusCodes.Status200OK, "text/plain");
        app.MapGroup("/v1").RequireApiKey().MapGet("/cluster", Cluster).RequireScope(ApiScopes.Read);
        return app;
    }

    /// <summary>200 only when this node can accept writes now: PostgreSQL answers within a second, the silo is active with a
    /// fresh lease, and every partition has an owner to route to. Liveness (/health/live) does not depend on any of it.</summary>
    private static async Task<Results<Ok<Readiness>, ServiceUnavailable<Readiness>>> Ready(Metering.Runtime.Silo silo, DatabaseProbe database, CancellationToken ct)
    {
        bool reachable = await database.ReachableAsync(ct);
        bool ready = reachable && silo.IsReady;
        var body = new Readiness(
            ready ? "ready" : "not_ready",
            silo.Status.ToWire(),
            reachable ? "reachable" : "unreachable",
            silo.HeartbeatFresh ? "fresh" : "stale",
            silo.OwnedPartitions,
            silo.Directory.Covers);
        return ready ? TypedResults.Ok(body) : new ServiceUnavailable<Readiness>(body);
    }

    private static async Task<Ok<ClusterJson>> Cluster(Metering.Runtime.Silo silo, CancellationToken ct)
    {
        IReadOnlyList<SiloInfo> silos = await silo.Membership.ListAsync(ct);
        return TypedResults.Ok(new ClusterJson(
            [.. silos.Select(s => new SiloJson(s.Id, s.Address, s.Status.ToWire(), s.Partitions, s.Id == silo.Options.SiloId ? silo.ActivationCount : s.Activations,
                Wire.Time(s.HeartbeatAt), s.Suspected))],
            silo.Options.Partitions,
            silo.Options.SiloId));
    }

    private static async Task<ContentHttpResult> Metrics(Metering.Runtime.Silo silo, PostgresEventLog log, GatewayMetrics metrics, WebhookMetrics webhooks,
        WebhookDeliveryStore deliveries, [FromKeyedServices(WebhookClock.Key)] TimeProvider clock, CancellationToken ct)
    {
        var text = new StringBuilder();
        Metric(text, "metering_events_total", "counter", "Events answered, by HTTP status.", metrics.EventsByStatus.Select(p => ($"status=\"{p.Key}\"", (double)p.Value)));
        Metric(text, "metering_event_commits_total", "counter", "Group commits of the event log.", [("", log.Commits)]);
        Metric(text, "metering_events_written_total", "counter", "Events carried by group commits.", [("", log.EventsWritten)]);
        Metric(text, "metering_activations", "gauge", "Live grain activations on this silo.", [("", silo.ActivationCount)]);
        Metric(text, "metering_partitions_owned", "gauge", "Partitions owned by this silo.", [("", silo.OwnedPartitions)]);
        Metric(text, "metering_silo_ready", "gauge", "1 when the silo is ready.", [("", silo.IsReady ? 1 : 0)]);
        (long forwarded, long retried) = silo.Forwarder.Counts;
        Metric(text, "metering_grain_calls_forwarded_total", "counter", "Grain calls sent to the silo that owns the grain.", [("", forwarded)]);
        Metric(text, "metering_grain_calls_retried_total", "counter", "Forwarded grain calls sent again after a refusal or an owner change.", [("", retried)]);
        WebhookMetricsText(text, webhooks, await deliveries.StatsAsync(ct), clock.GetUtcNow());
        return TypedResults.Text(text.ToString(), "text/plain; version=0.0.4");
    }

    /// <summary>Webhooks: this silo's attempts by outcome and their latency; the outbox (cluster-wide, from PostgreSQL): its
    /// depth, the age of its oldest pending delivery, the dead-letter queue, and endpoints counted by breaker state (no
    /// endpoint URL or id as a label, so the series stay few).</summary>
    private static void WebhookMetricsText(StringBuilder text, WebhookMetrics webhooks, WebhookStats stats, DateTimeOffset now)
    {
        Metric(text, "metering_webhook_deliveries_total", "counter", "Webhook delivery attempts by outcome (delivered, retrying, dead_lettered, fenced).",
            webhooks.Outcomes.Select(o => ($"outcome=\"{o.Outcome.ToWire()}\"", (double)o.Count)));
        (IReadOnlyList<long> cumulative, long count, double sum) = webhooks.Latency;
        text.Append("# HELP metering_webhook_delivery_seconds Latency of webhook delivery attempts.\n# TYPE metering_webhook_delivery_seconds histogram\n");
        for (int i = 0; i < cumulative.Count; i++)
        {
            string le = i < WebhookMetrics.Buckets.Length ? WebhookMetrics.Buckets[i].ToString(CultureInfo.InvariantCulture) : "+Inf";
            text.Append("metering_webhook_delivery_seconds_bucket{le=\"").Append(le).Append("\"} ").Append(cumulative[i].ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        text.Append("metering_webhook_delivery_seconds_sum ").Append(sum.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("metering_webhook_delivery_seconds_count ").Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        Metric(text, "metering_webhook_outbox_depth", "gauge", "Webhook deliveries pending (all silos).", [("", stats.Pending)]);
        double age = stats.OldestPending is { } oldest ? Math.Max((now - oldest).TotalSeconds, 0) : 0;
        Metric(text, "metering_webhook_outbox_oldest_age_seconds", "gauge", "Age of the oldest pending webhook delivery.", [("", age)]);
        Metric(text, "metering_webhook_dead_letters", "gauge", "Webhook deliveries in the dead-letter queue.", [("", stats.DeadLettered)]);
        Metric(text, "metering_webhook_endpoints", "gauge", "Webhook endpoints by circuit breaker state.",
            stats.EndpointsByBreaker.Select(b => ($"breaker=\"{b.Key}\"", (double)b.Value)));
    }

    private static void Metric(StringBuilder text, string name, string type, string help, IEnumerable<(string Labels, double Value)> samples)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach ((string labels, double value) in samples)
        {
            text.Append(name);
            if (labels.Length > 0)
            {
                text.Append('{').Append(labels).Append('}');
            }

            text.Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }
}

/// <summary>Counters the gateway keeps for /metrics.</summary>
public sealed class GatewayMetrics
{
    private readonly long[] _byStatus = new long[600];

    public IEnumerable<KeyValuePair<int, long>> EventsByStatus
        => _byStatus.Select((v, i) => new KeyValuePair<int, long>(i, Interlocked.Read(ref _byStatus[i]))).Where(p => p.Value > 0);

    public void CountEvents(IEnumerable<EventResult> results)
    {
        foreach (EventResult r in results)
        {
            Interlocked.Increment(ref _byStatus[r.Status]);
        }
    }
}
