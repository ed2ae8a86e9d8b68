using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Webhooks;

/// <summary><c>POST /v1/webhook-endpoints</c>: <c>{"url","events":["invoice.finalized",...],"description"?}</c>.</summary>
public sealed record CreateWebhookEndpointRequest(string Url, IReadOnlyList<string> Events, string? Description) : IJsonRequest<CreateWebhookEndpointRequest>
{
    public static CreateWebhookEndpointRequest? Read(JsonBody body, HttpContext http)
    {
        (string? url, string[]? events, string? description) = WebhookEndpointFields.Read(body, required: true);
        return body.HasErrors ? null : new CreateWebhookEndpointRequest(url!, events!, description);
    }
}
