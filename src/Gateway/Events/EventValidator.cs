using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Metering.Gateway.Catalog;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Events;
using Metering.Grains.Signing;

namespace Metering.Gateway.Events;

/// <summary>Validates one event as API.md states, and turns it into an <see cref="IncomingEvent"/>. A pure function of the
/// JSON and the server's receive time.</summary>
public static class EventValidator
{
    public const int MaxPropertiesBytes = 8 * 1024;
    public const int MaxPropertiesDepth = 3;
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(35);

    /// <summary>Validates one event. <paramref name="batchSignature"/> is the signature of the batch the event came in, when the
    /// batch is signed as a whole: the event then carries none of its own, and its timestamp, like a signed event's, is required.</summary>
    public static (SubmittedEvent? Event, ApiError? Error) Validate(JsonElement json, DateTimeOffset receivedAt, string tenant, EventSignature? batchSignature = null)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            return (null, new ApiError(400, ApiError.Codes.InvalidRequest, "An event must be a JSON object."));
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

        EventSignature? signature = null;
        bool ownSignature = JsonBody.TryGetMember(json, "signature", out JsonElement signatureJson) && signatureJson.ValueKind != JsonValueKind.Null;
        if (ownSignature && batchSignature is not null)
        {
            errors["signature"] = ["An event of a batch signed as a whole carries no signature of its own."];
        }
        else if (ownSignature)
        {
            signature = ReadSignature(signatureJson, errors);
        }

        if ((ownSignature || batchSignature is not null) && timestampText is null && !errors.ContainsKey("timestamp"))
        {
            errors["timestamp"] = ["A signed event must carry its 'timestamp': it is part of what is signed."];
        }

        if (errors.Count > 0)
        {
            return (null, new ApiError(400, ApiError.Codes.InvalidRequest, string.Join(" ", errors.Values.Select(v => v[0])), errors));
        }

        string propertiesJson = hasProperties ? Minified(properties) : "{}";
        if (Encoding.UTF8.GetByteCount(propertiesJson) > MaxPropertiesBytes)
        {
            return (null, new ApiError(413, ApiError.Codes.PayloadTooLarge, $"'properties' is larger than {MaxPropertiesBytes} bytes."));
        }

        if (hasProperties && Depth(properties) > MaxPropertiesDepth)
        {
            return (null, new ApiError(400, ApiError.Codes.PropertiesTooDeep, $"'properties' is nested deeper than {MaxPropertiesDepth} levels.",
                new Dictionary<string, string[]> { ["properties"] = [$"At most {MaxPropertiesDepth} levels of nesting."] }));
        }

        if (timestamp > receivedAt + MaxFutureSkew)
        {
            return (null, new ApiError(400, ApiError.Codes.TimestampSkew, "The event's timestamp is more than 5 minutes in the future.",
                new Dictionary<string, string[]> { ["timestamp"] = ["More than 5 minutes ahead of server time."] }));
        }

        if (timestamp < receivedAt - MaxAge)
        {
            return (null, new ApiError(400, ApiError.Codes.TimestampTooOld, "The event's timestamp is older than 35 days.",
                new Dictionary<string, string[]> { ["timestamp"] = ["Older than 35 days."] }));
        }

        object? signatureMeta = signature is not null
            ? new { key_id = signature.KeyId, algorithm = signature.Algorithm, value = Base64Url.EncodeToString(signature.Value), nonce = signature.Nonce }
            : batchSignature is not null ? new { key_id = batchSignature.KeyId, algorithm = batchSignature.Algorithm, nonce = batchSignature.Nonce, batch = true } : null;
        string? meta = delegation is null && signatureMeta is null
            ? null
            : JsonSerializer.Serialize(new { delegation_chain = delegation is null ? (JsonElement?)null : chain, signature = signatureMeta });
        byte[] hash = PayloadHash(subject!, eventType!, timestampText is null ? null : timestamp, propertiesJson, delegation);
        var incoming = new IncomingEvent(key!, subject!, eventType!, timestamp.ToUniversalTime(), receivedAt, propertiesJson, hash, meta);
        byte[]? signed = signature is null ? null : SigningInput.Build(tenant, key!, subject!, eventType!, timestampText!, hasProperties ? properties : null, signature.Nonce);
        return (new SubmittedEvent(incoming, signature, signed), null);
    }

    /// <summary>The <c>signature</c> object of an event or of a batch: <c>{"key_id","algorithm","value" (base64url),"nonce"}</c>;
    /// its faults go into <paramref name="errors"/> under <c>signature.*</c>.</summary>
    public static EventSignature? ReadSignature(JsonElement json, Dictionary<string, string[]> errors)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors["signature"] = ["'signature' must be an object {key_id, algorithm, value, nonce}."];
            return null;
        }

        int before = errors.Count;
        string? keyId = Text(json, "key_id", 128, errors, "signature.");
        string? algorithm = Text(json, "algorithm", 32, errors, "signature.");
        string? nonce = Text(json, "nonce", 128, errors, "signature.");
        string? value = Text(json, "value", 16384, errors, "signature.");
        byte[]? bytes = null;
        if (value is not null && !TryBase64Url(value, out bytes))
        {
            errors["signature.value"] = ["'signature.value' must be base64url."];
        }

        return errors.Count == before ? new EventSignature(keyId!, algorithm!, bytes!, nonce!) : null;
    }

    private static bool TryBase64Url(string text, out byte[]? bytes)
    {
        try
        {
            bytes = Base64Url.DecodeFromChars(text);
            return true;
        }
        catch (FormatException)
        {
            bytes = null;
            return false;
        }
    }

    /// <summary>What makes two sends "the same payload": subject, type, the timestamp as sent (absent stays absent, so a retry
    /// without a timestamp is still the same), properties and delegation chain.</summary>
    private static byte[] PayloadHash(string subject, string eventType, DateTimeOffset? timestamp, string properties, string? delegation)
    {
        string text = string.Join('\u001e', subject, eventType, timestamp is null ? "" : Wire.Time(timestamp.Value), properties, delegation ?? "");
        return SHA256.HashData(Encoding.UTF8.GetBytes(text));
    }

    private static string? Text(JsonElement json, string name, int max, Dictionary<string, string[]> errors, string prefix = "")
    {
        string field = prefix + name;
        if (!JsonBody.TryGetMember(json, name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            errors[field] = [$"'{field}' is required."];
            return null;
        }

        if (value.ValueKind == JsonValueKind.String && StorableText.Of(value, invalidUtf8IsReplaced: false) is { } fault)
        {
            errors[field] = [StorableText.Describe(field, fault)];
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length is 0 || value.GetString()!.Length > max)
        {
            errors[field] = [$"'{field}' must be a string of 1 to {max} characters."];
            return null;
        }

        return value.GetString();
    }

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
