namespace Metering.Silo.ApiKeys;

/// <summary>The outcome of presenting a key: <see cref="Grant"/> is set unless the key is <see cref="ApiKeyStatus.Unknown"/>.</summary>
public readonly record struct ApiKeyAuthentication(ApiKeyStatus Status, ApiKeyGrant? Grant);
