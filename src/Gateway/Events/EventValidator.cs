using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Metering.Gateway.Catalog;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Events;

namespace Metering.Gateway.Events;

/// <summary>Validates one event as API.md states, and turns it into an <see cref="IncomingEvent"/>. A pure function of the
/// JSON and the server's receive time.</summary>
public static class EventValidator
{
    public const int MaxPropertiesBytes = 8 * 1024;
    public const int MaxPropertiesDepth = 3;
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(35);

    public static (IncomingEvent? Event, ApiError? Error) Validate(JsonElement json, DateTimeOffset receivedAt)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            return (null, new ApiError(400, Problems.InvalidRequest, "An event must be a JSON object."));
        }

        var errors = new Dictionary<string, string[]>();
        string? key = Text(json, "idempotency_key", 255, errors);
        string? subject = Text(json, "subject", 255, errors);
        string? eventType = Text(json, "event_type", 64, errors);
        if (eventType is not null && !CatalogApi.EventTypePattern().IsMatch(eventType))
        {
            errors["event_type"] = ["'event_type' must match [a-z0-9_.:-]{1,64}."];
        }

        string? timestampText = null;
        DateTimeOffset timestamp = receivedAt;
        if (JsonBody.TryGetMember(json, "timestamp", out JsonElement ts) && ts.ValueKind != JsonValueKind.Null)
        {
            if (ts.ValueKind != JsonValueKind.String || StorableText.Of(ts, invalidUtf8IsReplaced: false) is not null || !Wire.TryParseTime(ts.GetString(), out timestamp))
            {
                errors["timestamp"] = ["'timestamp' must be an RFC 3339 timestamp."];
            }
            else
            {
                timestampText = ts.GetString();
            }
        }

        JsonElement properties = default;
        bool hasProperties = JsonBody.TryGetMember(json, "properties", out properties) && properties.ValueKind != JsonValueKind.Null;
        if (hasProperties && properties.ValueKind != JsonValueKind.Object)
        {
            errors["properties"] = ["'properties' must be an object."];
        }
        else if (hasProperties && StorableText.Find(properties, "properties", invalidUtf8IsReplaced: true) is { } unstorable)
        {
            // Bytes that are not UTF-8 have always been stored as U+FFFD (the properties are written back out), so only
            // what PostgreSQL refuses is refused here.
            errors[unstorable.Path] = [unstorable.Message];
        }

        string? delegation = null;
        if (JsonBody.TryGetMember(json, "delegation_chain", out JsonElement chain) && chain.ValueKind != JsonValueKind.Null)
        {
            if (chain.ValueKind != JsonValueKind.Array || chain.GetArrayLength() > 32 || chain.EnumerateArray().Any(c => c.ValueKind != JsonValueKind.String))
            {
                errors["delegation_chain"] = ["'delegation_chain' must be an array of at most 32 strings."];
            }
            else if (chain.EnumerateArray().Select((c, i) => (Fault: StorableText.Of(c, invalidUtf8IsReplaced: false), Index: i)).FirstOrDefault(c => c.Fault is not null) is { Fault: { } fault } bad)
            {
                string field = $"delegation_chain[{bad.Index}]";
                errors[field] = [StorableText.Describe(field, fault)];
            }
            else if (chain.EnumerateArray().Any(c => c.GetString()!.Length is 0 or > 255))
            {
                errors["delegation_chain"] = ["'delegation_chain' must be an array of at most 32 strings."];
            }
            else
            {
                delegation = Minified(chain);
            }
        }

        string? signature = OptionalText(json, "signature", 16384, errors);
        string? algorithm = OptionalText(json, "signature_algorithm", 32, errors);
        if (errors.Count > 0)
        {
            return (null, new ApiError(400, Problems.InvalidRequest, string.Join(" ", errors.Values.Select(v => v[0])), errors));
        }

        string propertiesJson = hasProperties ? Minified(properties) : "{}";
        if (Encoding.UTF8.GetByteCount(propertiesJson) > MaxPropertiesBytes)
        {
            return (null, new ApiError(413, "PAYLOAD_TOO_LARGE", $"'properties' is larger than {MaxPropertiesBytes} bytes."));
        }

        if (hasProperties && Depth(properties) > MaxPropertiesDepth)
        {
            return (null, new ApiError(400, "PROPERTIES_TOO_DEEP", $"'properties' is nested deeper than {MaxPropertiesDepth} levels.",
                new Dictionary<string, string[]> { ["properties"] = [$"At most {MaxPropertiesDepth} levels of nesting."] }));
        }

        if (timestamp > receivedAt + MaxFutureSkew)
        {
            return (null, new ApiError(400, "TIMESTAMP_SKEW", "The event's timestamp is more than 5 minutes in the future.",
                new Dictionary<string, string[]> { ["timestamp"] = ["More than 5 minutes ahead of server time."] }));
        }

        if (timestamp < receivedAt - MaxAge)
        {
            return (null, new ApiError(400, "TIMESTAMP_TOO_OLD", "The event's timestamp is older than 35 days.",
                new Dictionary<string, string[]> { ["timestamp"] = ["Older than 35 days."] }));
        }

        string? meta = delegation is null && signature is null && algorithm is null
            ? null
            : JsonSerializer.Serialize(new { delegation_chain = delegation is null ? (JsonElement?)null : chain, signature, signature_algorithm = algorithm });
        byte[] hash = PayloadHash(subject!, eventType!, timestampText is null ? null : timestamp, propertiesJson, delegation);
        return (new IncomingEvent(key!, subject!, eventType!, timestamp.ToUniversalTime(), receivedAt, propertiesJson, hash, meta), null);
    }

    /// <summary>What makes two sends "the same payload": subject, type, the timestamp as sent (absent stays absent, so a retry
    /// without a timestamp is still the same), properties and delegation chain.</summary>
    private static byte[] PayloadHash(string subject, string eventType, DateTimeOffset? timestamp, string properties, string? delegation)
    {
        string text = string.Join('\u001e', subject, eventType, timestamp is null ? "" : Wire.Time(timestamp.Value), properties, delegation ?? "");
        return SHA256.HashData(Encoding.UTF8.GetBytes(text));
    }

    private static string? Text(JsonElement json, string name, int max, Dictionary<string, string[]> errors)
    {
        if (!JsonBody.TryGetMember(json, name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            errors[name] = [$"'{name}' is required."];
            return null;
        }

        if (value.ValueKind == JsonValueKind.String && StorableText.Of(value, invalidUtf8IsReplaced: false) is { } fault)
        {
            errors[name] = [StorableText.Describe(name, fault)];
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length is 0 || value.GetString()!.Length > max)
        {
            errors[name] = [$"'{name}' must be a string of 1 to {max} characters."];
            return null;
        }

        return value.GetString();
    }

    private static string? OptionalText(JsonElement json, string name, int max, Dictionary<string, string[]> errors)
        => JsonBody.TryGetMember(json, name, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? Text(json, name, max, errors) : null;

    /// <summary>Levels of nesting, the properties object itself being level 1.</summary>
    public static int Depth(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => 1 + element.EnumerateObject().Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        JsonValueKind.Array => 1 + element.EnumerateArray().Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

    private static string Minified(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            element.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
