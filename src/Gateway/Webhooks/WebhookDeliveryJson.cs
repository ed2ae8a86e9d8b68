using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Silo.Webhooks;

namespace Metering.Gateway.Webhooks;

/// <summary>A delivery as the API shows it: the notification's id and type, its state, every attempt, and the payload sent.</summary>
public sealed record WebhookDeliveryJson(Guid Id, Guid EndpointId, string EventId, string Type, string Status, int Failures, string? NextAttemptAt, string CreatedAt,
    string? DeliveredAt, IReadOnlyList<WebhookAttemptJson> Attempts, JsonElement Payload)
{
    public static WebhookDeliveryJson Of(WebhookDelivery d)
    {
        using JsonDocument payload = JsonDocument.Parse(d.Body);
        return new(d.Id, d.EndpointId, "evt_" + d.NotificationId.ToString("N"), d.Type, d.Status.ToWire(), d.Failures,
            d.Status == DeliveryStatus.Pending ? Wire.Time(d.NextAttemptAt) : null, Wire.Time(d.CreatedAt), Wire.Time(d.DeliveredAt),
            [.. d.Attempts.Select(a => new WebhookAttemptJson(a.Number, Wire.Time(a.At), a.StatusCode, Math.Round(a.LatencyMs, 3), a.Error))], payload.RootElement.Clone());
    }
}
