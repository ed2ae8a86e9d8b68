using Metering.Gateway.Infrastructure;
using Metering.Grains.Audit;
using Metering.Grains.Catalog;
using Metering.Silo.ApiKeys;
using Metering.Silo.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;


namespace Metering.Gateway.Catalog;

/// <summary>Edits of meters: <c>PATCH /v1/meters/{code}</c> and <c>POST /v1/meters/{code}/archive</c>. An archived meter counts no
/// event stamped from then on and keeps what it counted. Both are audited with the meter before and after.</summary>
public static class MetersApi
{
    public const string UpdatedAction = "meter.updated";
    public const string ArchivedAction = "meter.archived";

    public static IEndpointRouteBuilder MapMetersApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder meters = app.MapGroup("/v1/meters").RequireApiKey();
        meters.MapPatch("/{code}", Update).RequireScope(ApiScopes.Manage);
        meters.MapPost("/{code}/archive", Archive).RequireScope(ApiScopes.Manage);
        return app;
    }

    private static async Task<Results<Ok<MeterJson>, ApiProblem>> Update(string code, JsonRequest<UpdateMeterRequest> body, HttpContext http, CatalogStore catalog,
        IAuditLog audit, CancellationToken ct)
    {
        if (!body.TryGet(out UpdateMeterRequest? request, out ApiProblem? problem))
        {
            return problem;
        }

        string tenant = http.Tenant();
        if ((await catalog.GetMetersAsync(tenant, ct)).Find(code) is { } current && !UpdateMeterRequest.IsWhole(request.Changes.ApplyTo(current)))
        {
            return ApiError.Invalid("value_property", "'value_property' is required for every aggregation but count.").ToProblem();
        }

        return Answer(code, tenant, UpdatedAction, await catalog.UpdateMeterAsync(tenant, code, request.Changes, null, ct), catalog, audit);
    }

    private static async Task<Results<Ok<MeterJson>, ApiProblem>> Archive(string code, HttpContext http, CatalogStore catalog, IAuditLog audit, CancellationToken ct)
        => Answer(code, http.Tenant(), ArchivedAction, await catalog.UpdateMeterAsync(http.Tenant(), code, new MeterChanges(), catalog.Now, ct), catalog, audit);

    private static Results<Ok<MeterJson>, ApiProblem> Answer(string code, string tenant, string action, (EditOutcome Outcome, Meter? Before, Meter? After) edit,
        CatalogStore catalog, IAuditLog audit)
    {
        switch (edit.Outcome)
        {
            case EditOutcome.NotFound:
                return ApiError.NotFound($"Meter '{code}'").ToProblem();
            case EditOutcome.HasEvents:
                return new ApiError(409, ApiError.Codes.MeterHasEvents,
                    $"Events of type '{edit.Before!.EventType}' exist: the event type, aggregation, value property and group by of meter '{code}' can no longer change "
                    + "(they would recount its history). Make a new meter instead.").ToProblem();
        }

        // Archiving an archived meter changes nothing, and is not audited again.
        if (action != ArchivedAction || edit.Before!.ArchivedAt is null)
        {
            CatalogAudit.Record(audit, tenant, catalog.Now, action, code, MeterJson.Of(edit.Before!), MeterJson.Of(edit.After!));
        }

        return TypedResults.Ok(MeterJson.Of(edit.After!));
    }
}
