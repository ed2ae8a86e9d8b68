using System.Globalization;
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

    /// <summary>The silos of the cluster (also the dashboard's cluster view).</summary>
    internal static async Task<Ok<ClusterJson>> Cluster(Metering.Runtime.Silo silo, TimeProvider time, CancellationToken ct)
    {
        IReadOnlyList<SiloInfo> silos = await silo.Membership.ListAsync(ct);
        return TypedResults.Ok(new ClusterJson(
            [.. silos.Select(s => new SiloJson(s.Id, s.Address, s.Status.ToWire(), s.Partitions, s.Id == silo.Options.SiloId ? silo.ActivationCount : s.Activations,
                Wire.Time(s.HeartbeatAt), s.Suspected))],
            silo.Options.Partitions,
            silo.Options.SiloId,
            Wire.Time(time.GetUtcNow())));
    }

    private static async Task<ContentHttpResult> Metrics(Metering.Runtime.Silo silo, PostgresEventLog log, GatewayMetrics metrics, PostgresPoolMetrics pool,
        WebhookMetrics webhooks, WebhookDeliveryStore deliveries, [FromKeyedServices(WebhookClock.Key)] TimeProvider clock, CancellationToken ct)
    {
        WebhookStats outbox = await deliveries.StatsAsync(ct);
        pool.Refresh();
        (long forwarded, long retried) = silo.Forwarder.Counts;
        string text = new PrometheusText()
            .Histogram("metering_http_request_duration_seconds", "HTTP requests by route template, method and status.",
                metrics.RequestDuration.Snapshot().OrderBy(p => p.Key.Route, StringComparer.Ordinal).ThenBy(p => p.Key.Method, StringComparer.Ordinal).ThenBy(p => p.Key.Status)
                    .Select(p => (PrometheusText.Label("route", p.Key.Route) + "," + PrometheusText.Label("method", p.Key.Method) + "," + PrometheusText.Label("status", p.Key.Status.ToString(CultureInfo.InvariantCulture)), p.Value)))
            .Counter("metering_events_total", "Events answered, by HTTP status.", metrics.EventsByStatus.Select(p => (PrometheusText.Label("status", p.Key.ToString(CultureInfo.InvariantCulture)), (double)p.Value)))
            .Counter("metering_events_rejected_total", "Events refused, by problem code.", metrics.EventsRejectedByCode.Select(p => (PrometheusText.Label("code", p.Key), (double)p.Value)))
            .Counter("metering_quota_consumes_total", "Quota consumes, by outcome.", metrics.Consumes.Select(p => (PrometheusText.Label("outcome", p.Key.ToString().ToLowerInvariant()), (double)p.Value)))
            .Counter("metering_quota_checks_total", "Quota checks, by decision.", [(PrometheusText.Label("decision", "allow"), metrics.ChecksAllowed), (PrometheusText.Label("decision", "deny"), metrics.ChecksDenied)])
            .Counter("metering_event_commits_total", "Group commits of the event log.", log.Commits)
            .Counter("metering_events_written_total", "Events carried by group commits.", log.EventsWritten)
            .Histogram("metering_group_commit_size_events", "Events per group commit of the event log.", log.CommitSize.Snapshot())
            .Histogram("metering_group_commit_duration_seconds", "Duration of a group commit, from taking the connection to the end of the transaction.", log.CommitDuration.Snapshot())
            .Histogram("metering_grain_turn_duration_seconds", "Grain turns (calls run on this silo) by grain type.",
                silo.Metrics.TurnDuration.Snapshot().OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (PrometheusText.Label("grain_type", p.Key), p.Value)))
            .Gauge("metering_activations", "Live grain activations on this silo.", silo.ActivationCount)
            .Gauge("metering_activations_by_type", "Live grain activations on this silo, by grain type.",
                silo.ActivationsByType.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (PrometheusText.Label("grain_type", p.Key), (double)p.Value)))
            .Gauge("metering_partitions_owned", "Partitions owned by this silo.", silo.OwnedPartitions)
            .Gauge("metering_silo_ready", "1 when the silo is ready.", silo.IsReady ? 1 : 0)
            .Counter("metering_grain_calls_forwarded_total", "Grain calls sent to the silo that owns the grain.", forwarded)
            .Counter("metering_grain_calls_retried_total", "Forwarded grain calls sent again after a refusal or an owner change.", retried)
            .Gauge("metering_pg_pool_connections", "PostgreSQL connections of this silo's pool, by state.", [(PrometheusText.Label("state", "idle"), pool.IdleConnections), (PrometheusText.Label("state", "used"), pool.UsedConnections)])
            .Gauge("metering_pg_pool_pending_requests", "Requests waiting for a pooled PostgreSQL connection now (pool waits).", pool.PendingRequests)
            .Gauge("metering_pg_pool_pending_requests_max", "The most requests seen waiting for a pooled connection at once.", pool.MaxPendingRequests)
            .Histogram("metering_pg_pool_wait_seconds", "Time a request waited for a pooled PostgreSQL connection (each wait that ended).", pool.PoolWait.Snapshot())
            .Counter("metering_pg_pool_timeouts_total", "Waits for a pooled PostgreSQL connection that timed out.", pool.Timeouts)
            .Histogram("metering_pg_connection_create_seconds", "Time to open a new physical PostgreSQL connection.", pool.ConnectionCreateTime.Snapshot())
            // Webhooks: this silo's attempts and their latency; the outbox (cluster-wide, from PostgreSQL); endpoints counted by
            // breaker state (no endpoint URL or id as a label, so the series stay few).
            .Counter("metering_webhook_deliveries_total", "Webhook delivery attempts by outcome (delivered, retrying, dead_lettered, fenced).",
                webhooks.Outcomes.Select(o => (PrometheusText.Label("outcome", o.Outcome.ToWire()), (double)o.Count)))
            .Histogram("metering_webhook_delivery_seconds", "Latency of webhook delivery attempts.", webhooks.Latency.Snapshot())
            .Gauge("metering_webhook_outbox_depth", "Webhook deliveries pending (all silos).", outbox.Pending)
            .Gauge("metering_webhook_outbox_oldest_age_seconds", "Age of the oldest pending webhook delivery.",
                outbox.OldestPending is { } oldest ? Math.Max((clock.GetUtcNow() - oldest).TotalSeconds, 0) : 0)
            .Gauge("metering_webhook_dead_letters", "Webhook deliveries in the dead-letter queue.", outbox.DeadLettered)
            .Gauge("metering_webhook_endpoints", "Webhook endpoints by circuit breaker state.",
                outbox.EndpointsByBreaker.Select(b => (PrometheusText.Label("breaker", b.Key), (double)b.Value)))
            .ToString();
        return TypedResults.Text(text, PrometheusText.ContentType);
    }
}
