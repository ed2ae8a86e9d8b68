using System.Security.Cryptography;
using System.Text;
using Metering.Silo.Catalog;

namespace Metering.Gateway.Infrastructure;

/// <summary>Bearer API keys: a key belongs to one tenant; every /v1 endpoint runs as that tenant.</summary>
public static class Auth
{
    private const string TenantItem = "metering.tenant";

    public static string Tenant(this HttpContext context) => (string)context.Items[TenantItem]!;

    /// <summary>Requires a tenant API key on every endpoint of the group.</summary>
    public static RouteGroupBuilder RequireApiKey(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (invocation, next) =>
        {
            HttpContext http = invocation.HttpContext;
            string? key = BearerToken(http);
            string? tenant = key is null ? null : await http.RequestServices.GetRequiredService<CatalogStore>().AuthenticateAsync(key, http.RequestAborted);
            if (tenant is null)
            {
                return ApiError.Unauthenticated.ToResult();
            }

            http.Items[TenantItem] = tenant;
            return await next(invocation);
        });
        return group;
    }

    /// <summary>Requires the admin key (METERING_ADMIN_KEY); with none configured, admin endpoints are closed.</summary>
    public static RouteGroupBuilder RequireAdminKey(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (invocation, next) =>
        {
            HttpContext http = invocation.HttpContext;
            string? expected = http.RequestServices.GetRequiredService<IConfiguration>()["METERING_ADMIN_KEY"];
            string? key = BearerToken(http);
            bool ok = !string.IsNullOrEmpty(expected) && key is not null
                && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(expected));
            return ok ? await next(invocation) : ApiError.Unauthenticated.ToResult();
        });
        return group;
    }

    private static string? BearerToken(HttpContext http)
    {
        string? header = http.Request.Headers.Authorization;
        return header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;
    }
}
