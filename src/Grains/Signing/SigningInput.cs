using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Metering.Grains.Signing;

/// <summary>The bytes a signed event's signature covers: the UTF-8 of these lines joined by '\n' (no trailing newline):
/// <c>metering-event-v1</c>, the tenant, the idempotency key, the subject, the event type, the timestamp exactly as sent,
/// the properties as canonical JSON, and the nonce. Canonical JSON: object members sorted by name (ordinal, UTF-16 code
/// units), no whitespace, numbers exactly as sent, strings with only '"', '\\' and control characters escaped (\b \t \n \f \r,
/// else \u00xx in lower case), as RFC 8785 does for strings. An absent properties object is <c>{}</c>.</summary>
public static class SigningInput
{
    public const string Version = "metering-event-v1";

    public static byte[] Build(string tenant, string idempotencyKey, string subject, string eventType, string timestamp, JsonElement? properties, string nonce)
    {
        var text = new StringBuilder(256);
        text.Append(Version).Append('\n')
            .Append(tenant).Append('\n')
            .Append(idempotencyKey).Append('\n')
            .Append(subject).Append('\n')
            .Append(eventType).Append('\n')
            .Append(timestamp).Append('\n');
        if (properties is { ValueKind: not JsonValueKind.Null } value)
        {
            Canonical(value, text);
        }
        else
        {
            text.Append("{}");
        }

        text.Append('\n').Append(nonce);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>The canonical JSON of <paramref name="element"/> (see the class summary).</summary>
    public static string Canonical(JsonElement element)
    {
        var text = new StringBuilder();
        Canonical(element, text);
        return text.ToString();
    }

    private static void Canonical(JsonElement element, StringBuilder text)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                text.Append('{');
                bool first = true;
                foreach (JsonProperty member in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    text.Append(first ? "" : ",");
                    first = false;
                    String(member.Name, text);
                    text.Append(':');
                    Canonical(member.Value, text);
                }

                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                int i = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    text.Append(i++ == 0 ? "" : ",");
                    Canonical(item, text);
                }

                text.Append(']');
                break;
            case JsonValueKind.String:
                String(element.GetString()!, text);
                break;
            default:
                text.Append(element.GetRawText()); // numbers as sent; true, false, null
                break;
        }
    }

    private static void String(string value, StringBuilder text)
    {
        text.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\b': text.Append("\\b"); break;
                case '\t': text.Append("\\t"); break;
                case '\n': text.Append("\\n"); break;
                case '\f': text.Append("\\f"); break;
                case '\r': text.Append("\\r"); break;
                default:
                    if (c < 0x20)
                    {
                        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        text.Append('"');
    }
}
