namespace Metering.Silo.ApiKeys;

/// <summary>A key just made: <see cref="Secret"/> is shown once, to its creator, and stored only hashed.</summary>
public sealed record IssuedApiKey(ApiKey Key, string Secret);
