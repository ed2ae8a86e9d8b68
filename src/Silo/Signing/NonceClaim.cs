namespace Metering.Silo.Signing;

/// <summary>A signed event's nonce, to be accepted once per key: again only for the same idempotency key (a retry).</summary>
public sealed record NonceClaim(string KeyId, string Nonce, string IdempotencyKey, DateTimeOffset ExpiresAt);
