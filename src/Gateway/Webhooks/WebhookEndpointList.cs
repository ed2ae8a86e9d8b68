namespace Metering.Gateway.Webhooks;

/// <summary><c>GET /v1/webhook-endpoints</c>: <c>{"data":[...]}</c>.</summary>
public sealed record WebhookEndpointList(IReadOnlyList<WebhookEndpointJson> Data);
