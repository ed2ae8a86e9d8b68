namespace Metering.Silo.ApiKeys;

/// <summary>What a key may do, as authentication reads it: its tenant, scopes, expiry and revocation, and the tenant's own
/// rate limit (null: the configured default). Cached per silo for a few seconds (<see cref="ApiKeyAuthenticator"/>).</summary>
public sealed record ApiKeyGrant(Guid KeyId, string TenantId, string Prefix, ApiScopes Scopes, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, RateLimit? RateLimit)
{
    public ApiKeyStatus StatusAt(DateTimeOffset now)
        => RevokedAt is not null ? ApiKeyStatus.Revoked
            : ExpiresAt is { } expires && expires <= now ? ApiKeyStatus.Expired
            : ApiKeyStatus.Active;
}
