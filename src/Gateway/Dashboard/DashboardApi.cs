using Metering.Grains;
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
        // The page and its files are not part of the API: left out of the OpenAPI document.
        app.MapGet("/dashboard", () => DashboardAssets.Serve("index.html")).ExcludeFromDescription();
        app.MapGet("/dashboard/{file}", (string file) => DashboardAssets.Serve(file)).ExcludeFromDescription();

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
    private static Ok<TrafficJson> Traffic(TrafficSampler sampler, Metering.Runtime.Silo silo)
        => TypedResults.Ok(new TrafficJson(silo.Options.SiloId, TrafficSampler.Interval.TotalSeconds, TrafficTotalsJson.Of(sampler.Totals()),
            [.. sampler.Samples.Select(TrafficSampleJson.Of)]));

    /// <summary>The hottest grains of this node by calls; of one tenant when <paramref name="tenant"/> is set.</summary>
    private static Ok<HotGrainsJson> Grains(Metering.Runtime.Silo silo, string? tenant)
    {
        IReadOnlyList<ActivationCalls> hot = silo.HottestActivations(TopGrains, id => tenant is null || TenantOf(id) == tenant);
        return TypedResults.Ok(new HotGrainsJson(silo.Options.SiloId,
            [.. hot.Select(g => new HotGrainJson(g.Grain.Interface.Name, g.Grain.Key, TenantOf(g.Grain), SubscriptionOf(g.Grain), g.Partition, g.Calls))]));
    }

    private static async Task<Ok<JobsJson>> JobsAsync(BillingRunService runs, ReratingService rerating, string? tenant, CancellationToken ct)
    {
        IReadOnlyList<(string Tenant, BillingRun Run)> billingRuns = await runs.RecentAsync(tenant, LatestJobs, ct);
        IReadOnlyList<(string Tenant, ReratingJob Job)> jobs = await rerating.RecentAsync(tenant, LatestJobs, ct);
        return TypedResults.Ok(new JobsJson(
            [.. billingRuns.Select(r => new BillingRunJson(r.Tenant, r.Run.Id, r.Run.Status.ToWire(), Wire.Time(r.Run.PeriodEndBefore), r.Run.Total, r.Run.Done, r.Run.Failed,
                r.Run.Created, Wire.Time(r.Run.CreatedAt), Wire.Time(r.Run.CompletedAt)))],
            [.. jobs.Select(j => new ReratingJobJson(j.Tenant, j.Job.Id, j.Job.Status.ToWire(), j.Job.CustomerIds, Wire.Time(j.Job.From), Wire.Time(j.Job.To), j.Job.Recomputed,
                j.Job.Adjustments, j.Job.Error, Wire.Time(j.Job.CreatedAt), Wire.Time(j.Job.CompletedAt)))]));
    }

    private static async Task<Results<Ok<SubscriptionOverviewJson>, ApiProblem>> OverviewAsync(SubscriptionOverview overview, string tenant, string id, CancellationToken ct)
    {
        SubscriptionOverviewJson? body = await overview.ReadAsync(tenant, id, ct);
        return body is null ? ApiError.NotFound($"Subscription '{id}'").ToProblem() : TypedResults.Ok(body);
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
