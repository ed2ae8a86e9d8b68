namespace Metering.Gateway.Webhooks;

/// <summary><c>GET /v1/webhook-deliveries</c>: <c>{"data":[...]}</c>, newest first.</summary>
public sealed record WebhookDeliveryList(IReadOnlyList<WebhookDeliveryJson> Data);
