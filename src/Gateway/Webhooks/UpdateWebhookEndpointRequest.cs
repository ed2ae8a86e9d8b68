using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Webhooks;

/// <summary><c>PATCH /v1/webhook-endpoints/{id}</c>: any of url, events, description, and <c>"enabled"</c> (false disables).</summary>
public sealed record UpdateWebhookEndpointRequest(string? Url, IReadOnlyList<string>? Events, string? Description, bool? Enabled) : IJsonRequest<UpdateWebhookEndpointRequest>
{
    public static UpdateWebhookEndpointRequest? Read(JsonBody body, HttpContext http)
    {
        (string? url, string[]? events, string? description) = WebhookEndpointFields.Read(body, required: false);
        bool? enabled = WebhookEndpointFields.Enabled(body);
        return body.HasErrors ? null : new UpdateWebhookEndpointRequest(url, events, description, enabled);
    }
}
