using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Metering.Gateway.RateLimits;
using Metering.Silo.ApiKeys;

namespace Metering.Gateway.Infrastructure;

/// <summary>Bearer API keys: a key belongs to one tenant and holds scopes; every /v1 endpoint runs as that tenant and
/// declares the scope it needs.</summary>
public static class Auth
{
    private const string GrantItem = "metering.api-key";

    public static string Tenant(this HttpContext context) => context.ApiKey().TenantId;

    /// <summary>The key the request was authenticated with.</summary>
    public static ApiKeyGrant ApiKey(this HttpContext context) => (ApiKeyGrant)context.Items[GrantItem]!;

    /// <summary>The scope a tenant key needs for these endpoints (on a group: the default of its endpoints; on an endpoint:
    /// its own, which wins).</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, ApiScopes scope) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new RequiredScope(scope));

    /// <summary>Requires a tenant API key on every endpoint of the group, in this order: a key that is known, not revoked and
    /// not expired (else 401), within its rate limit (else 429), holding the endpoint's scope (else 403). Rate limiting comes
    /// before the scope check so a key cannot probe endpoints it may not use faster than it may use its own.</summary>
    public static RouteGroupBuilder RequireApiKey(this RouteGroupBuilder group)
    {
        group.AddEndpointFilterFactory((factory, next) =>
        {
            ApiKeyAuthenticator authenticator = factory.ApplicationServices.GetRequiredService<ApiKeyAuthenticator>();
            RateLimiter limiter = factory.ApplicationServices.GetRequiredService<RateLimiter>();
            return async invocation =>
            {
                HttpContext http = invocation.HttpContext;
                // Fails closed: an endpoint mapped without a scope answers 500 rather than serving every key.
                ApiScopes required = http.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>()?.Scope
                    ?? throw new InvalidOperationException($"Endpoint {http.GetEndpoint()?.DisplayName} declares no API key scope.");
                string? key = BearerToken(http);
                ApiKeyAuthentication authentication = key is null ? default : await authenticator.AuthenticateAsync(key, http.RequestAborted);
                ApiError? refused = authentication.Status switch
                {
                    ApiKeyStatus.Active => null,
                    ApiKeyStatus.Revoked => ApiError.KeyRevoked,
                    ApiKeyStatus.Expired => ApiError.KeyExpired,
                    _ => ApiError.Unauthenticated,
                };
                if (refused is not null)
                {
                    return refused.ToResult();
                }

                ApiKeyGrant grant = authentication.Grant!;
                RateLimitDecision decision = limiter.Acquire(grant);
                WriteRateLimitHeaders(http.Response, decision);
                if (!decision.Allowed)
                {
                    int retryAfter = decision.RetryAfterSeconds;
                    http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                    return ApiError.RateLimited(retryAfter).ToResult();
                }

                if ((grant.Scopes & required) != required)
                {
                    return ApiError.Forbidden(required).ToResult();
                }

                http.Items[GrantItem] = grant;
                return await next(invocation);
            };
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

    private static void WriteRateLimitHeaders(HttpResponse response, RateLimitDecision decision)
    {
        response.Headers["x-ratelimit-limit"] = decision.Limit.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-ratelimit-remaining"] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-ratelimit-reset"] = decision.ResetSeconds.ToString(CultureInfo.InvariantCulture);
    }

    private static string? BearerToken(HttpContext http)
    {
        string? header = http.Request.Headers.Authorization;
        return header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;
    }
}
