using Metering.Gateway.Infrastructure;
using Metering.Grains.Audit;
using Metering.Grains.Catalog;
using Metering.Silo.ApiKeys;
using Metering.Silo.Catalog;
using Metering.Silo.Listing;
using Metering.Silo.Subscriptions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Catalog;

/// <summary>Plans over time: <c>PATCH /v1/plans/{code}</c> edits the fixed fee and proration, as a new version when subscriptions
/// are on the latest one (they stay on theirs); <c>GET /v1/plans/{code}/versions</c> lists the versions; <c>POST
/// /v1/plans/{code}/migrate</c> moves every subscription on an earlier version to the latest at the end of its current period.
/// Edits and migrations are audited with before and after.</summary>
public static class PlansApi
{
    public const string UpdatedAction = "plan.updated";

    public static IEndpointRouteBuilder MapPlansApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder plans = app.MapGroup("/v1/plans").RequireApiKey();
        plans.MapPatch("/{code}", Update).RequireScope(ApiScopes.Manage);
        plans.MapGet("/{code}/versions", Versions).RequireScope(ApiScopes.Read);
        plans.MapPost("/{code}/migrate", Migrate).RequireScope(ApiScopes.Manage);
        return app;
    }

    private static async Task<Results<Ok<PlanJson>, ApiProblem>> Update(string code, JsonRequest<UpdatePlanRequest> body, HttpContext http, CatalogStore catalog,
        IAuditLog audit, CancellationToken ct)
    {
        if (!body.TryGet(out UpdatePlanRequest? request, out ApiProblem? problem))
        {
            return problem;
        }

        string tenant = http.Tenant();
        (EditOutcome outcome, Plan? before, Plan? after) = await catalog.UpdatePlanAsync(tenant, code, request.Changes, ct);
        if (outcome == EditOutcome.NotFound)
        {
            return NotFound(code).ToProblem();
        }

        if (after != before)
        {
            CatalogAudit.Record(audit, tenant, catalog.Now, UpdatedAction, code, PlanJson.Of(before!), PlanJson.Of(after!));
        }

        return TypedResults.Ok(PlanJson.Of(after!));
    }

    private static async Task<Results<Ok<PageJson<PlanJson>>, ApiProblem>> Versions(string code, [AsParameters] PageQuery query, HttpContext http, CatalogStore catalog,
        CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        if (page is null)
        {
            return error!.ToProblem();
        }

        IReadOnlyList<Plan> versions = await catalog.PlanVersionsAsync(http.Tenant(), code, ct);
        if (versions.Count == 0)
        {
            return NotFound(code).ToProblem();
        }

        // A version's cursor is its number, padded so that text order is number order.
        return TypedResults.Ok(PageJson<PlanJson>.Of(Pages.Of(versions, page, v => v.Version.ToString("D10", System.Globalization.CultureInfo.InvariantCulture)), PlanJson.Of));
    }

    private static async Task<Results<Ok<PlanMigrationJson>, ApiProblem>> Migrate(string code, HttpContext http, SubscriptionLifecycleService lifecycle, CancellationToken ct)
        => await lifecycle.MigrateAsync(http.Tenant(), code, ct) is { } migration
            ? TypedResults.Ok(PlanMigrationJson.Of(migration))
            : NotFound(code).ToProblem();

    private static ApiError NotFound(string code) => ApiError.NotFound($"Plan '{code}'");
}
