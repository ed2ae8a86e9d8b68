using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Audit;
using Metering.Silo.Catalog;

namespace Metering.Gateway.Tenants;

public static class TenantsApi
{
    public static IEndpointRouteBuilder MapTenantsApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder admin = app.MapGroup("/admin/v1").RequireAdminKey();
        admin.MapPost("/tenants", CreateTenant);
        return app;
    }

    private static async Task<IResult> CreateTenant(HttpRequest request, CatalogStore catalog, IAuditLog audit, CancellationToken cancellationToken)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(request, cancellationToken);
        if (body is null)
        {
            return error!.ToResult();
        }

        string? id = body.String("id", required: true, 128, Wire.IsId, "'id' must be 1 to 128 letters, digits or _.:@-");
        if (body.HasErrors)
        {
            return body.Error.ToResult();
        }

        string? apiKey = await catalog.CreateTenantAsync(id!, cancellationToken);
        if (apiKey is null)
        {
            return new ApiError(409, "ALREADY_EXISTS", $"Tenant '{id}' exists.").ToResult();
        }

        audit.Record(new AuditEntry(id!, catalog.Now, "api_key.created", "admin", null, JsonSerializer.Serialize(new { key_prefix = apiKey[..7] })));
        return TypedResults.Json(new { id, api_key = apiKey }, Wire.Json, statusCode: 201);
    }
}

/// <summary>Creates the tenant <c>default</c> with METERING_BOOTSTRAP_API_KEY when no tenant has that key.</summary>
internal sealed class BootstrapService(CatalogStore catalog, IConfiguration configuration, ILogger<BootstrapService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        string? key = configuration["METERING_BOOTSTRAP_API_KEY"];
        if (string.IsNullOrWhiteSpace(key) || await catalog.AuthenticateAsync(key, cancellationToken) is not null)
        {
            return;
        }

        await catalog.CreateTenantWithKeyAsync("default", key, keyForExistingTenant: true, cancellationToken);
        logger.LogInformation("Created tenant 'default' with the bootstrap API key");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
