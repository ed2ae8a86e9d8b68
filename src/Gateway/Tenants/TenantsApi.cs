using System.Text.Json;
using Metering.Gateway.ApiKeys;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Audit;
using Metering.Silo.ApiKeys;
using Metering.Silo.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Tenants;

public static class TenantsApi
{
    public static IEndpointRouteBuilder MapTenantsApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder admin = app.MapGroup("/admin/v1").RequireAdminKey();
        admin.MapPost("/tenants", CreateTenant);
        return app;
    }

    private static async Task<Results<Created<TenantCreatedJson>, ApiProblem>> CreateTenant(JsonRequest<CreateTenantRequest> request, CatalogStore catalog,
        IAuditLog audit, CancellationToken cancellationToken)
    {
        if (!request.TryGet(out CreateTenantRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        string id = r.Id;
        // The tenant's first key holds every tenant scope, so it can make the narrower keys its clients should use.
        IssuedApiKey? issued = await catalog.CreateTenantAsync(id, cancellationToken);
        if (issued is null)
        {
            return new ApiError(409, ApiError.Codes.AlreadyExists, $"Tenant '{id}' exists.").ToProblem();
        }

        audit.Record(new AuditEntry(id, issued.Key.CreatedAt, ApiKeysApi.CreatedAction, "admin", issued.Key.Id.ToString(),
            JsonSerializer.Serialize(new { key_id = issued.Key.Id, key_prefix = issued.Key.Prefix, scopes = issued.Key.Scopes.ToNames() })));
        return TypedResults.Created((string?)null, new TenantCreatedJson(id, issued.Secret));
    }
}
