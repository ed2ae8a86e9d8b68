using Metering.Gateway.Infrastructure;
using Metering.Grains.Audit;
using Metering.Silo.ApiKeys;
using Metering.Silo.Audit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Audit;

public static class AuditApi
{
    public const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/audit-events").RequireApiKey().MapGet("/", List).RequireScope(ApiScopes.Read);
        return app;
    }

    private static async Task<Results<Ok<ListJson<AuditEntryJson>>, ApiProblem>> List(HttpContext http, PostgresAuditLog audit, CancellationToken ct)
    {
        string? action = http.Request.Query["action"];
        int limit = 100;
        if (http.Request.Query.ContainsKey("limit") && (!int.TryParse(http.Request.Query["limit"], out limit) || limit is < 1 or > MaxLimit))
        {
            return ApiError.Invalid("limit", $"'limit' must be 1 to {MaxLimit}.").ToProblem();
        }

        IReadOnlyList<AuditEntry> entries = await audit.QueryAsync(http.Tenant(), string.IsNullOrEmpty(action) ? null : action, limit, ct);
        return TypedResults.Ok(new ListJson<AuditEntryJson>([.. entries.Select(AuditEntryJson.Of)]));
    }
}
