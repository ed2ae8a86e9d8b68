namespace Metering.Gateway.Webhooks;

/// <summary>The answer of a secret rotation: the new secret, shown this once; the old one no longer signs.</summary>
public sealed record WebhookSecretJson(Guid Id, string Secret);
