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
/// polls. With the admin key it reads the whole cluster (traffic, every tenant's hot grains and jobs, any subscription); with a
/// tenant key, only that tenant's grains, jobs and subscriptions. Traffic is for the admin key only. Traffic and hot grains
/// are the cluster's: the node asked gathers every live silo's part (<c>?scope=node</c>) with the caller's key.</summary>
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
        tenant.MapGet("/grains", (HttpContext http, Metering.Runtime.Silo silo, ClusterPeers peers, string? scope, CancellationToken ct) => GrainsAsync(http, silo, peers, http.Tenant(), scope, ct));
        tenant.MapGet("/jobs", (HttpContext http, BillingRunService runs, ReratingService rerating, CancellationToken ct) => JobsAsync(runs, rerating, http.Tenant(), ct));
        tenant.MapGet("/subscriptions/{id}", (string id, HttpContext http, SubscriptionOverview overview, CancellationToken ct) => OverviewAsync(overview, http.Tenant(), id, ct));

        RouteGroupBuilder admin = app.MapGroup("/admin/v1/dashboard").RequireAdminKey();
        admin.MapGet("/traffic", Traffic);
        admin.MapGet("/cluster", OperationsApi.Cluster);
        admin.MapGet("/grains", (HttpContext http, Metering.Runtime.Silo silo, ClusterPeers peers, string? scope, CancellationToken ct) => GrainsAsync(http, silo, peers, null, scope, ct));
        admin.MapGet("/jobs", (BillingRunService runs, ReratingService rerating, CancellationToken ct) => JobsAsync(runs, rerating, null, ct));
        admin.MapGet("/tenants/{tenant}/subscriptions/{id}", (string tenant, string id, SubscriptionOverview overview, CancellationToken ct) => OverviewAsync(overview, tenant, id, ct));
        return app;
    }

    /// <summary>The traffic: the samples of the last minutes (rates, ingest p50/p99, commit sizes, denials, refusals by code)
    /// and the totals since start, of the cluster, or of this node with <c>?scope=node</c>.</summary>
    private static async Task<Ok<TrafficJson>> Traffic(HttpContext http, TrafficSampler sampler, Metering.Runtime.Silo silo, ClusterPeers peers, string? scope, CancellationToken ct)
    {
        var node = new TrafficJson(silo.Options.SiloId, NodeScope, TrafficSampler.Interval.TotalSeconds, TrafficTotalsJson.Of(sampler.Totals()),
            [.. sampler.Samples.Select(TrafficSampleJson.Of)], Histogram.DurationBounds);
        if (scope == NodeScope)
        {
            return TypedResults.Ok(node);
        }

        var answers = await peers.AskAsync<TrafficJson>("/admin/v1/dashboard/traffic?scope=node", http.Request.Headers.Authorization, ct);
        List<TrafficJson> parts = [node, .. answers.Where(a => a.Answer is not null).Select(a => a.Answer!)];
        List<NodeTrafficJson> nodes = [NodeTrafficJson.Of(silo.Options.Address, node),
            .. answers.Select(a => a.Answer is { } part ? NodeTrafficJson.Of(a.Silo.Address, part) : NodeTrafficJson.Unreachable(a.Silo.Id, a.Silo.Address))];
        return TypedResults.Ok(new TrafficJson(silo.Options.SiloId, ClusterScope, node.IntervalSeconds, TrafficTotalsJson.Sum([.. parts.Select(p => p.Totals)]),
            AlignedSamples(parts), Histogram.DurationBounds, nodes));
    }

    /// <summary>The nodes' samples added up, aligned from the latest (each node samples every second on its own clock).</summary>
    private static List<TrafficSampleJson> AlignedSamples(List<TrafficJson> parts)
    {
        int length = parts.Max(p => p.Samples.Count);
        var samples = new List<TrafficSampleJson>(length);
        for (int back = length; back >= 1; back--)
        {
            List<TrafficSampleJson> same = [.. parts.Where(p => p.Samples.Count >= back && p.LatencyBounds.SequenceEqual(Histogram.DurationBounds))
                .Select(p => p.Samples[^back])];
            if (same.Count > 0)
            {
                samples.Add(TrafficSampleJson.Sum(same, Histogram.DurationBounds));
            }
        }

        return samples;
    }

    /// <summary>The hottest grains by calls, of the cluster (or of this node with <c>?scope=node</c>); of one tenant when
    /// <paramref name="tenant"/> is set.</summary>
    private static async Task<Ok<HotGrainsJson>> GrainsAsync(HttpContext http, Metering.Runtime.Silo silo, ClusterPeers peers, string? tenant, string? scope, CancellationToken ct)
    {
        IReadOnlyList<ActivationCalls> hot = silo.HottestActivations(TopGrains, id => tenant is null || TenantOf(id) == tenant);
        List<HotGrainJson> mine = [.. hot.Select(g => new HotGrainJson(g.Grain.Interface.Name, g.Grain.Key, TenantOf(g.Grain), SubscriptionOf(g.Grain), g.Partition, g.Calls,
            silo.Options.SiloId))];
        if (scope == NodeScope)
        {
            return TypedResults.Ok(new HotGrainsJson(silo.Options.SiloId, NodeScope, mine));
        }

        string path = (tenant is null ? "/admin/v1/dashboard/grains" : "/v1/dashboard/grains") + "?scope=node";
        var answers = await peers.AskAsync<HotGrainsJson>(path, http.Request.Headers.Authorization, ct);
        List<HotGrainJson> all = [.. mine, .. answers.Where(a => a.Answer is not null).SelectMany(a => a.Answer!.Grains)];
        return TypedResults.Ok(new HotGrainsJson(silo.Options.SiloId, ClusterScope, [.. all.OrderByDescending(g => g.Calls).Take(TopGrains)],
            [.. answers.Where(a => a.Answer is null).Select(a => a.Silo.Id)]));
    }

    public const string NodeScope = "node";
    public const string ClusterScope = "cluster";

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
