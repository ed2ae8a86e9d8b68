namespace Metering.Gateway.Tenants;

/// <summary>A new tenant and its first API key (every tenant scope), shown once.</summary>
public sealed record TenantCreatedJson(string Id, string ApiKey);
