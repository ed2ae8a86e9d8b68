using Metering.Gateway.Infrastructure;
using Metering.Silo.ApiKeys;

namespace Metering.Gateway.ApiKeys;

/// <summary>A key in <c>GET /v1/api-keys</c> and the answer of a revoke: never the secret.</summary>
public sealed record ApiKeyJson(string Id, string Prefix, string[] Scopes, string? Description, string CreatedAt, string? ExpiresAt, string? LastUsedAt, string? RevokedAt)
{
    public static ApiKeyJson Of(ApiKey key) => new(key.Id.ToString(), key.Prefix, key.Scopes.ToNames(), key.Description, Wire.Time(key.CreatedAt),
        Wire.Time(key.ExpiresAt), Wire.Time(key.LastUsedAt), Wire.Time(key.RevokedAt));
}
