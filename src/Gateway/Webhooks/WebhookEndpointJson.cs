using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Silo.Webhooks;

namespace Metering.Gateway.Webhooks;

/// <summary>An endpoint as the API shows it; its secret only in <see cref="CreatedWebhookEndpointJson"/>.</summary>
public sealed record WebhookEndpointJson(Guid Id, string Url, IReadOnlyList<string> Events, string? Description, bool Enabled, BreakerJson Breaker,
    string CreatedAt, string UpdatedAt)
{
    public static WebhookEndpointJson Of(WebhookEndpoint e)
        => new(e.Id, e.Url, e.Events, e.Description, e.Enabled, new BreakerJson(e.Breaker.State.ToWire(), e.Breaker.ConsecutiveFailures, Wire.Time(e.Breaker.ChangedAt)),
            Wire.Time(e.CreatedAt), Wire.Time(e.UpdatedAt));
}
