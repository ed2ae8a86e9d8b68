namespace Metering.Silo.ApiKeys;

/// <summary>An API key as its tenant sees it in the list: never the secret, which only its hash in the database could match.</summary>
public sealed record ApiKey(Guid Id, string Prefix, ApiScopes Scopes, string? Description, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);
