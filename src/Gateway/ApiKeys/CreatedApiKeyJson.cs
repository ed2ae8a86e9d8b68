using Metering.Gateway.Infrastructure;
using Metering.Silo.ApiKeys;

namespace Metering.Gateway.ApiKeys;

/// <summary>The answer of <c>POST /v1/api-keys</c>: the only time <see cref="Key"/> is shown.</summary>
public sealed record CreatedApiKeyJson(string Id, string Key, string Prefix, string[] Scopes, string? Description, string CreatedAt, string? ExpiresAt)
{
    public static CreatedApiKeyJson Of(IssuedApiKey issued) => new(issued.Key.Id.ToString(), issued.Secret, issued.Key.Prefix, issued.Key.Scopes.ToNames(),
        issued.Key.Description, Wire.Time(issued.Key.CreatedAt), Wire.Time(issued.Key.ExpiresAt));
}
