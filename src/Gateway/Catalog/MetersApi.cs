using Metering.Gateway.Infrastructure;
using Metering.Grains.Audit;
using Metering.Grains.Catalog;
using Metering.Silo.ApiKeys;
using Metering.Silo.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Problem = Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<System.Collections.Generic.Dictionary<string, object?>>;

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

    private static async Task<Results<JsonHttpResult<object>, Problem>> Update(string code, HttpContext http, CatalogStore catalog, IAuditLog audit, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToProblem();
        }

        UpdateMeterRequest? request = UpdateMeterRequest.Read(body);
        if (request is null)
        {
            return body.Error.ToProblem();
        }

        string tenant = http.Tenant();
        if ((await catalog.GetMetersAsync(tenant, ct)).Find(code) is { } current && !UpdateMeterRequest.IsWhole(request.Changes.ApplyTo(current)))
        {
            return ApiError.Invalid("value_property", "'value_property' is required for every aggregation but count.").ToProblem();
        }

        return Answer(code, tenant, UpdatedAction, await catalog.UpdateMeterAsync(tenant, code, request.Changes, null, ct), catalog, audit);
    }

    private static async Task<Results<JsonHttpResult<object>, Problem>> Archive(string code, HttpContext http, CatalogStore catalog, IAuditLog audit, CancellationToken ct)
        => Answer(code, http.Tenant(), ArchivedAction, await catalog.UpdateMeterAsync(http.Tenant(), code, new MeterChanges(), catalog.Now, ct), catalog, audit);

    private static Results<JsonHttpResult<object>, Problem> Answer(string code, string tenant, string action, (EditOutcome Outcome, Meter? Before, Meter? After) edit,
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
            CatalogAudit.Record(audit, tenant, catalog.Now, action, code, CatalogApi.MeterJson(edit.Before!), CatalogApi.MeterJson(edit.After!));
        }

        return TypedResults.Json(CatalogApi.MeterJson(edit.After!), Wire.Json);
    }
}
