using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Webhooks;

namespace Metering.Gateway.Webhooks;

/// <summary>The body of <c>POST /v1/webhook-endpoints</c> (<c>{"url","events":[...],"description"?}</c>) and of
/// <c>PATCH /v1/webhook-endpoints/{id}</c> (any of those, and <c>"enabled"</c>).</summary>
public sealed record WebhookEndpointRequest(string? Url, IReadOnlyList<string>? Events, string? Description, bool? Enabled)
{
    public const int MaxDescription = 255;

    /// <summary>The request, or the body's errors. Creating requires url and events; events are known notification types.</summary>
    public static WebhookEndpointRequest? Read(JsonBody body, bool create)
    {
        string? url = body.String("url", create, 2048);
        string[]? events = body.StringArray("events", create, NotificationTypes.Names.Count, 64);
        string? description = body.String("description", false, MaxDescription);
        bool? enabled = null;
        if (!create && JsonBody.TryGetMember(body.Root, "enabled", out JsonElement flag) && flag.ValueKind != JsonValueKind.Null)
        {
            enabled = flag.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => Fail(body, "enabled", "'enabled' must be true or false."),
            };
        }

        if (events is { Length: 0 })
        {
            body.Fail("events", "'events' must name at least one notification type.");
        }

        foreach (string name in events ?? [])
        {
            if (!NotificationTypes.TryParse(name, out _))
            {
                body.Fail("events", $"'{name}' is not a notification type: {string.Join(", ", NotificationTypes.Names)}.");
            }
        }

        return body.HasErrors ? null : new WebhookEndpointRequest(url, events?.Distinct(StringComparer.Ordinal).ToArray(), description, enabled);
    }

    private static bool? Fail(JsonBody body, string field, string message)
    {
        body.Fail(field, message);
        return null;
    }
}
