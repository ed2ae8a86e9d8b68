using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Webhooks;

namespace Metering.Gateway.Webhooks;

/// <summary>The fields of an endpoint as a body sends them, read and checked alike for a creation and an update.</summary>
internal static class WebhookEndpointFields
{
    public const int MaxDescription = 255;

    public static (string? Url, string[]? Events, string? Description) Read(JsonBody body, bool required)
    {
        string? url = body.String("url", required, 2048);
        string[]? events = body.StringArray("events", required, NotificationTypes.Names.Count, 64);
        string? description = body.String("description", false, MaxDescription);
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

        return (url, events?.Distinct(StringComparer.Ordinal).ToArray(), description);
    }

    /// <summary>The optional <c>enabled</c>: true or false.</summary>
    public static bool? Enabled(JsonBody body)
    {
        if (!JsonBody.TryGetMember(body.Root, "enabled", out JsonElement flag) || flag.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (flag.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return flag.GetBoolean();
        }

        body.Fail("enabled", "'enabled' must be true or false.");
        return null;
    }
}
