using Metering.Silo.ApiKeys;

namespace Metering.Gateway.Infrastructure;

/// <summary>Endpoint metadata: the scope a tenant key needs for the endpoint (set with <see cref="Auth.RequireScope{TBuilder}"/>).</summary>
public sealed record RequiredScope(ApiScopes Scope);
