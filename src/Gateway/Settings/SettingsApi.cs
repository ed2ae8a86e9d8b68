using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Gateway.RateLimits;
using Metering.Grains.Audit;
using Metering.Silo.ApiKeys;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Settings;

/// <summary>Tenant settings: the rate limit of its keys (<c>GET</c> with <c>read</c>, <c>PUT</c> with <c>manage</c>).</summary>
public static class SettingsApi
{
    public const string RateLimitAction = "rate_limit.updated";

    public static IEndpointRouteBuilder MapSettingsApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder settings = app.MapGroup("/v1/settings").RequireApiKey();
        settings.MapGet("/rate-limit", GetRateLimit).RequireScope(ApiScopes.Read);
        settings.MapPut("/rate-limit", PutRateLimit).RequireScope(ApiScopes.Manage);
        return app;
    }

    private static async Task<Ok<RateLimitJson>> GetRateLimit(HttpContext http, ApiKeyStore store, RateLimiter limiter, CancellationToken ct)
        => TypedResults.Ok(RateLimitJson.Of(await store.GetRateLimitAsync(http.Tenant(), ct), limiter.Default));

    /// <summary>Applies at once on this silo and within <see cref="ApiKeyOptions.CacheMaxAge"/> on the others, where the
    /// tenant's limit is read with each key. A bucket keeps its tokens up to the new burst.</summary>
    private static async Task<Results<Ok<RateLimitJson>, ApiProblem>> PutRateLimit(JsonRequest<SetRateLimitRequest> body, HttpContext http, ApiKeyStore store,
        ApiKeyAuthenticator authenticator, RateLimiter limiter, IAuditLog audit, CancellationToken ct)
    {
        if (!body.TryGet(out SetRateLimitRequest? request, out ApiProblem? problem))
        {
            return problem;
        }

        await store.SetRateLimitAsync(http.Tenant(), request.Limit, ct);
        authenticator.ForgetTenant(http.Tenant());
        audit.Record(new AuditEntry(http.Tenant(), store.Now, RateLimitAction, "api_key:" + http.ApiKey().Prefix, null,
            JsonSerializer.Serialize(new { requests_per_second = request.Limit.RequestsPerSecond, burst = request.Limit.Burst })));
        return TypedResults.Ok(RateLimitJson.Of(request.Limit, limiter.Default));
    }
}
