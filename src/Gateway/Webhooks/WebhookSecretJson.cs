namespace Metering.Gateway.Webhooks;

/// <summary>The answer of a secret rotation: the new secret, shown this once; the previous one keeps signing next to it until
/// <c>previous_secret_expires_at</c> (null: it stopped at once).</summary>
public sealed record WebhookSecretJson(Guid Id, string Secret, string? PreviousSecretExpiresAt);
