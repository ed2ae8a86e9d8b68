using Metering.Gateway.Infrastructure;
using Metering.Silo.ApiKeys;
using Metering.Silo.Audit;
using Metering.Silo.Listing;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Metering.Gateway.Audit;

public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/audit-events").RequireApiKey().MapGet("/", List).RequireScope(ApiScopes.Read);
        return app;
    }

    /// <summary>The tenant's audit trail, newest first, of one action when <c>?action=</c> is given.</summary>
    private static async Task<Results<Ok<PageJson<AuditEntryJson>>, ApiProblem>> List([AsParameters] PageQuery query, [FromQuery(Name = "action")] string? action,
        HttpContext http, PostgresAuditLog audit, CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        return page is null
            ? error!.ToProblem()
            : TypedResults.Ok(PageJson<AuditEntryJson>.Of(await audit.QueryAsync(http.Tenant(), string.IsNullOrEmpty(action) ? null : action, page, ct), AuditEntryJson.Of));
    }
}
