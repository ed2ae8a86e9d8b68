using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Audit;
using Metering.Silo.ApiKeys;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.ApiKeys;

/// <summary>
/// A tenant's API keys, all under the <c>manage</c> scope: <c>POST /v1/api-keys</c> makes one (its secret is shown once),
/// <c>GET /v1/api-keys</c> lists them, <c>DELETE /v1/api-keys/{id}</c> revokes one. Rotation: make the new key, move
/// clients to it (both work meanwhile), revoke the old one. Made and revoked keys are audited with prefix and scopes.
/// </summary>
public static class ApiKeysApi
{
    public const string CreatedAction = "api_key.created";
    public const string RevokedAction = "api_key.revoked";

    public static IEndpointRouteBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder keys = app.MapGroup("/v1/api-keys").RequireApiKey().RequireScope(ApiScopes.Manage);
        keys.MapPost("/", Create);
        keys.MapGet("/", List);
        keys.MapDelete("/{id}", Revoke);
        return app;
    }

    private static async Task<Results<Created<CreatedApiKeyJson>, ApiProblem>> Create(JsonRequest<CreateApiKeyRequest> body, HttpContext http, ApiKeyStore store,
        IAuditLog audit, CancellationToken ct)
    {
        if (!body.TryGet(out CreateApiKeyRequest? request, out ApiProblem? problem))
        {
            return problem;
        }

        IssuedApiKey issued = await store.CreateAsync(http.Tenant(), request.Scopes, request.Description, request.ExpiresAt, ct);
        Audit(audit, http, CreatedAction, issued.Key, issued.Key.CreatedAt);
        return TypedResults.Created((string?)null, CreatedApiKeyJson.Of(issued));
    }

    private static async Task<Ok<ApiKeyList>> List(HttpContext http, ApiKeyStore store, CancellationToken ct)
        => TypedResults.Ok(new ApiKeyList((await store.ListAsync(http.Tenant(), ct)).Select(ApiKeyJson.Of).ToList()));

    /// <summary>Revokes at once on this silo and within <see cref="ApiKeyOptions.CacheMaxAge"/> on the others (see
    /// <see cref="ApiKeyAuthenticator"/>). Revoking a revoked key answers it unchanged; another tenant's key is 404.</summary>
    private static async Task<Results<Ok<ApiKeyJson>, ApiProblem>> Revoke(string id, HttpContext http, ApiKeyStore store, ApiKeyAuthenticator authenticator,
        IAuditLog audit, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out Guid keyId))
        {
            return ApiError.NotFound($"API key '{id}'").ToProblem();
        }

        (RevokeOutcome outcome, ApiKey? key) = await store.RevokeAsync(http.Tenant(), keyId, ct);
        if (outcome == RevokeOutcome.NotFound)
        {
            return ApiError.NotFound($"API key '{id}'").ToProblem();
        }

        authenticator.Forget(keyId);
        if (outcome == RevokeOutcome.Revoked)
        {
            Audit(audit, http, RevokedAction, key!, key!.RevokedAt!.Value);
        }

        return TypedResults.Ok(ApiKeyJson.Of(key!));
    }

    private static void Audit(IAuditLog audit, HttpContext http, string action, ApiKey key, DateTimeOffset at)
        => audit.Record(new AuditEntry(http.Tenant(), at, action, "api_key:" + http.ApiKey().Prefix, key.Id.ToString(), JsonSerializer.Serialize(new
        {
            key_id = key.Id,
            key_prefix = key.Prefix,
            scopes = key.Scopes.ToNames(),
            description = key.Description,
            expires_at = Wire.Time(key.ExpiresAt),
        })));
}
