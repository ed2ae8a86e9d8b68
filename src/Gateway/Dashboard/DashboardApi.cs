using Metering.Gateway.Infrastructure;
using Metering.Gateway.Operations;
using Metering.Grains.Quotas;
using Metering.Grains.Subscriptions;
using Metering.Runtime;
using Metering.Runtime.Diagnostics;
using Metering.Silo.ApiKeys;
using Metering.Silo.Billing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Dashboard;

/// <summary>The dashboard: a page served by every node (<c>/dashboard</c>, no data in it) and the read-only endpoints it
/// polls. With the admin key it reads the whole node (traffic, every tenant's hot grains and jobs, any subscription); with a
/// tenant key, only that tenant's grains, jobs and subscriptions. Node-wide traffic is for the admin key only.</summary>
public static class DashboardApi
{
    public const int TopGrains = 20;
    public const int LatestJobs = 20;

    public static IEndpointRouteBuilder MapDashboardApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/dashboard", () => DashboardAssets.Serve("index.html"));
        app.MapGet("/dashboard/{file}", (string file) => DashboardAssets.Serve(file));

        RouteGroupBuilder tenant = app.MapGroup("/v1/dashboard").RequireApiKey().RequireScope(ApiScopes.Read);
        tenant.MapGet("/grains", (HttpContext http, Metering.Runtime.Silo silo) => Grains(silo, http.Tenant()));
        tenant.MapGet("/jobs", (HttpContext http, BillingRunService runs, ReratingService rerating, CancellationToken ct) => JobsAsync(runs, rerating, http.Tenant(), ct));
        tenant.MapGet("/subscriptions/{id}", (string id, HttpContext http, SubscriptionOverview overview, CancellationToken ct) => OverviewAsync(overview, http.Tenant(), id, ct));

        RouteGroupBuilder admin = app.MapGroup("/admin/v1/dashboard").RequireAdminKey();
        admin.MapGet("/traffic", Traffic);
        admin.MapGet("/cluster", OperationsApi.Cluster);
        admin.MapGet("/grains", (Metering.Runtime.Silo silo) => Grains(silo, null));
        admin.MapGet("/jobs", (BillingRunService runs, ReratingService rerating, CancellationToken ct) => JobsAsync(runs, rerating, null, ct));
        admin.MapGet("/tenants/{tenant}/subscriptions/{id}", (string tenant, string id, SubscriptionOverview overview, CancellationToken ct) => OverviewAsync(overview, tenant, id, ct));
        return app;
    }

    /// <summary>This node's traffic: the samples of the last minutes (rates, ingest p50/p99, commit sizes, denials, refusals
    /// by code) and the totals since start.</summary>
    private static JsonHttpResult<object> Traffic(TrafficSampler sampler, Metering.Runtime.Silo silo)
    {
        IReadOnlyList<TrafficSample> samples = sampler.Samples;
        TrafficTotals totals = sampler.Totals();
        return TypedResults.Json<object>(new
        {
            silo = silo.Options.SiloId,
            interval_seconds = TrafficSampler.Interval.TotalSeconds,
            totals = new
            {
                at = Wire.Time(totals.At),
                events_accepted = totals.EventsAccepted,
                events_refused = totals.EventsRefused,
                refused_by_code = totals.RefusedByCode,
                consumes_allowed = totals.ConsumesAllowed,
                consumes_denied = totals.ConsumesDenied,
                checks = totals.Checks,
                checks_denied = totals.ChecksDenied,
                group_commits = totals.Commits,
                events_written = totals.EventsWritten,
                server_errors = totals.ServerErrors,
            },
            samples = samples.Select(s => new
            {
                at = Wire.Time(s.At),
                ingest_rate = s.IngestRate,
                refused_rate = s.RefusedRate,
                ingest_p50_ms = s.IngestP50Ms,
                ingest_p99_ms = s.IngestP99Ms,
                consume_rate = s.ConsumeRate,
                check_rate = s.CheckRate,
                quota_denials = s.QuotaDenials,
                commit_rate = s.CommitRate,
                commit_size_avg = s.CommitSizeAvg,
                server_errors = s.ServerErrors,
                refused_by_code = s.RefusedByCode,
            }),
        }, Wire.Json);
    }

    /// <summary>The hottest grains of this node by calls; of one tenant when <paramref name="tenant"/> is set.</summary>
    private static JsonHttpResult<object> Grains(Metering.Runtime.Silo silo, string? tenant)
    {
        IReadOnlyList<ActivationCalls> hot = silo.HottestActivations(TopGrains, id => tenant is null || TenantOf(id) == tenant);
        return TypedResults.Json<object>(new
        {
            silo = silo.Options.SiloId,
            grains = hot.Select(g => new
            {
                type = g.Grain.Interface.Name,
                key = g.Grain.Key,
                tenant_id = TenantOf(g.Grain),
                subscription_id = SubscriptionOf(g.Grain),
                partition = g.Partition,
                calls = g.Calls,
            }),
        }, Wire.Json);
    }

    private static async Task<JsonHttpResult<object>> JobsAsync(BillingRunService runs, ReratingService rerating, string? tenant, CancellationToken ct)
    {
        IReadOnlyList<(string Tenant, BillingRun Run)> billingRuns = await runs.ListAsync(tenant, LatestJobs, ct);
        IReadOnlyList<(string Tenant, ReratingJob Job)> jobs = await rerating.ListAsync(tenant, LatestJobs, ct);
        return TypedResults.Json<object>(new
        {
            billing_runs = billingRuns.Select(r => new
            {
                tenant_id = r.Tenant,
                id = r.Run.Id,
                status = r.Run.Status,
                period_end_before = Wire.Time(r.Run.PeriodEndBefore),
                total = r.Run.Total,
                done = r.Run.Done,
                failed = r.Run.Failed,
                created = r.Run.Created,
                created_at = Wire.Time(r.Run.CreatedAt),
                completed_at = Wire.Time(r.Run.CompletedAt),
            }),
            rerating_jobs = jobs.Select(j => new
            {
                tenant_id = j.Tenant,
                id = j.Job.Id,
                status = j.Job.Status,
                customer_ids = j.Job.CustomerIds,
                from = Wire.Time(j.Job.From),
                to = Wire.Time(j.Job.To),
                recomputed = j.Job.Recomputed,
                adjustments = j.Job.Adjustments,
                error = j.Job.Error,
                created_at = Wire.Time(j.Job.CreatedAt),
                completed_at = Wire.Time(j.Job.CompletedAt),
            }),
        }, Wire.Json);
    }

    private static async Task<Results<JsonHttpResult<object>, JsonHttpResult<Dictionary<string, object?>>>> OverviewAsync(SubscriptionOverview overview, string tenant, string id, CancellationToken ct)
    {
        object? body = await overview.ReadAsync(tenant, id, ct);
        return body is null ? ApiError.NotFound($"Subscription '{id}'").ToProblem() : TypedResults.Json(body, Wire.Json);
    }

    /// <summary>Grain keys of the metering grains start with the tenant: "tenant/subscription" or "tenant/subscription#meter".</summary>
    private static string? TenantOf(GrainId id) => id.Key.IndexOf('/', StringComparison.Ordinal) is > 0 and var slash ? id.Key[..slash] : null;

    private static string? SubscriptionOf(GrainId id)
    {
        if (id.Interface != typeof(ISubscriptionGrain) && id.Interface != typeof(IQuotaGrain))
        {
            return null;
        }

        string rest = id.Key[(id.Key.IndexOf('/', StringComparison.Ordinal) + 1)..];
        int hash = rest.IndexOf('#', StringComparison.Ordinal);
        return hash >= 0 ? rest[..hash] : rest;
    }
}
