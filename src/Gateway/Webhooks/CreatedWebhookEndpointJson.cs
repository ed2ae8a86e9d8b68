namespace Metering.Gateway.Webhooks;

/// <summary>The answer of a creation: the endpoint and its signing secret, shown this once.</summary>
public sealed record CreatedWebhookEndpointJson(WebhookEndpointJson Endpoint, string Secret);
