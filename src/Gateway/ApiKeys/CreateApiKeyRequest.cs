using Metering.Gateway.Infrastructure;
using Metering.Silo.ApiKeys;

namespace Metering.Gateway.ApiKeys;

/// <summary><c>POST /v1/api-keys</c>: <c>{"scopes":["ingest"],"expires_at"?: RFC 3339, "description"?}</c>.</summary>
public sealed record CreateApiKeyRequest(ApiScopes Scopes, DateTimeOffset? ExpiresAt, string? Description) : IJsonRequest<CreateApiKeyRequest>
{
    public const int MaxDescription = 255;

    /// <summary>The request, or the body's errors: scopes a non-empty list of ingest, read and manage (admin is the admin
    /// API's, never a tenant key's), an expiry in the future.</summary>
    public static CreateApiKeyRequest? Read(JsonBody body, HttpContext http) => Read(body, http.RequestServices.GetRequiredService<ApiKeyStore>().Now);

    public static CreateApiKeyRequest? Read(JsonBody body, DateTimeOffset now)
    {
        string[]? names = body.StringArray("scopes", required: true, maxItems: 3, maxLength: 32);
        DateTimeOffset? expiresAt = body.Time("expires_at", required: false);
        string? description = body.String("description", required: false, MaxDescription);
        ApiScopes scopes = ApiScopes.None;
        foreach (string name in names ?? [])
        {
            if (!ApiScopeNames.TryParse(name, out ApiScopes scope))
            {
                body.Fail("scopes", $"'{name}' is not a scope: a key's scopes are ingest, read and manage (admin belongs to the admin API key).");
            }

            scopes |= scope;
        }

        if (names is { Length: 0 })
        {
            body.Fail("scopes", "'scopes' must hold at least one of ingest, read and manage.");
        }

        if (expiresAt <= now)
        {
            body.Fail("expires_at", "'expires_at' must be in the future.");
        }

        return body.HasErrors ? null : new CreateApiKeyRequest(scopes, expiresAt, description);
    }
}
