using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Audit;
using Metering.Silo.ApiKeys;
using Metering.Silo.Audit;
using Metering.Silo.Listing;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Problem = Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<System.Collections.Generic.Dictionary<string, object?>>;

namespace Metering.Gateway.Audit;

public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/audit-events").RequireApiKey().MapGet("/", List).RequireScope(ApiScopes.Read);
        return app;
    }

    /// <summary>The tenant's audit trail, newest first, of one action when <c>?action=</c> is given.</summary>
    private static async Task<Results<JsonHttpResult<PageJson<object>>, Problem>> List([AsParameters] PageQuery query, [FromQuery(Name = "action")] string? action,
        HttpContext http, PostgresAuditLog audit, CancellationToken ct)
    {
        (PageRequest? page, ApiError? error) = query.Read();
        if (page is null)
        {
            return error!.ToProblem();
        }

        Page<AuditEntry> entries = await audit.QueryAsync(http.Tenant(), string.IsNullOrEmpty(action) ? null : action, page, ct);
        return TypedResults.Json(PageJson<object>.Of(entries, e => new
        {
            id = e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            at = Wire.Time(e.At),
            action = e.Action,
            actor = e.Actor,
            subject = e.Subject,
            details = JsonSerializer.Deserialize<JsonElement>(e.DetailsJson),
        }), Wire.Json);
    }
}
