using Metering.Grains.Webhooks;

namespace Metering.Silo.Webhooks;

/// <summary>A tenant's webhook endpoint, without its secret.</summary>
public sealed record WebhookEndpoint(Guid Id, string Url, IReadOnlyList<string> Events, string? Description, bool Enabled, Breaker Breaker,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
