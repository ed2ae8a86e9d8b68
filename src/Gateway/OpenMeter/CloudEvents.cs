using System.Text.Json;
using System.Buffers;
using System.Runtime.InteropServices;
using Metering.Gateway.Events;
using Metering.Gateway.Infrastructure;
using Microsoft.Net.Http.Headers;

namespace Metering.Gateway.OpenMeter;

/// <summary>CloudEvents as OpenMeter takes them, turned into Metering's events and judged by <see cref="EventValidator"/>:
/// the idempotency key is <c>source</c> and <c>id</c>, <c>type</c> the event type, <c>subject</c> the subject, <c>time</c> the
/// timestamp (default the receive time), <c>data</c> the properties.</summary>
public static class CloudEvents
{
    public const string Single = "application/cloudevents+json";
    public const string Batch = "application/cloudevents-batch+json";
    public const string Json = "application/json";

    /// <summary>Our names of an event's fields and OpenMeter's, for errors that name a field.</summary>
    private static readonly (string Ours, string Theirs)[] s_fields =
        [("idempotency_key", "id"), ("event_type", "type"), ("timestamp", "time"), ("properties", "data")];

    /// <summary>The events of a body sent with <paramref name="contentType"/> (a charset parameter is allowed): one object for
    /// <see cref="Single"/>, an array for <see cref="Batch"/>, either for <see cref="Json"/>; or the problem.</summary>
    public static (JsonElement[]? Events, ApiError? Error) Split(string? contentType, JsonElement body)
    {
        string? mediaType = MediaTypeHeaderValue.TryParse(contentType, out MediaTypeHeaderValue? parsed) ? parsed.MediaType.Value?.ToLowerInvariant() : null;
        bool single = body.ValueKind == JsonValueKind.Object;
        bool batch = body.ValueKind == JsonValueKind.Array;
        return mediaType switch
        {
            Single when single => ([body], null),
            Batch when batch => ([.. body.EnumerateArray()], null),
            Json when single || batch => (single ? [body] : [.. body.EnumerateArray()], null),
            Single or Batch or Json => (null, new ApiError(400, ApiError.Codes.InvalidRequest,
                $"A body sent as {mediaType} must be {(mediaType == Single ? "one event (an object)" : mediaType == Batch ? "an array of events" : "an event or an array of events")}.")),
            _ => (null, new ApiError(415, ApiError.Codes.UnsupportedMediaType,
                $"Events are sent as {Single}, {Batch} or {Json}, not '{contentType}'.")),
        };
    }

    /// <summary>One CloudEvent as an event of <paramref name="tenant"/>, or its problem; <paramref name="index"/> names it in a batch.</summary>
    public static (SubmittedEvent? Event, ApiError? Error) Read(JsonElement json, int index, DateTimeOffset receivedAt, string tenant)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            return (null, ApiError.Invalid($"[{index}]", $"Event {index} must be a JSON object."));
        }

        var errors = new Dictionary<string, string[]>();
        string? id = Text(json, "id", errors);
        string? source = Text(json, "source", errors);
        if (Text(json, "specversion", errors) is { } version && version != "1.0")
        {
            errors["specversion"] = ["'specversion' must be \"1.0\"."];
        }

        string? key = id is null || source is null ? null : IdempotencyKey(source, id);
        if (key is { Length: > 255 })
        {
            errors["id"] = ["'source' and 'id' together must be at most 240 characters."];
        }

        if (errors.Count > 0)
        {
            return (null, Named(new ApiError(400, ApiError.Codes.InvalidRequest, string.Join(" ", errors.Values.Select(v => v[0])), errors), index));
        }

        (SubmittedEvent? e, ApiError? invalid) = EventValidator.Validate(AsEvent(json, key!), receivedAt, tenant);
        return e is null ? (null, Named(Renamed(invalid!), index)) : (e, null);
    }

    /// <summary>Source and id, unambiguously: the source's length first, so no two pairs make one key.</summary>
    public static string IdempotencyKey(string source, string id) => $"ce:{source.Length}:{source}:{id}";

    /// <summary>A problem of event <paramref name="index"/> of the request: its fields as <c>[index].field</c>.</summary>
    public static ApiError Named(ApiError error, int index)
        => error with
        {
            Detail = $"Event {index}: {error.Detail}",
            Errors = error.Errors?.ToDictionary(e => e.Key.StartsWith('[') ? e.Key : $"[{index}].{e.Key}", e => e.Value),
        };

    private static ApiError Renamed(ApiError error)
    {
        string Rename(string text)
        {
            foreach ((string ours, string theirs) in s_fields)
            {
                text = text.Replace($"'{ours}", $"'{theirs}", StringComparison.Ordinal);
            }

            return text;
        }

        string RenameKey(string key)
        {
            foreach ((string ours, string theirs) in s_fields)
            {
                if (key == ours || key.StartsWith(ours + ".", StringComparison.Ordinal) || key.StartsWith(ours + "[", StringComparison.Ordinal))
                {
                    return theirs + key[ours.Length..];
                }
            }

            return key;
        }

        return error with
        {
            Detail = Rename(error.Detail),
            Errors = error.Errors?.ToDictionary(e => RenameKey(e.Key), e => e.Value.Select(Rename).ToArray()),
        };
    }

    /// <summary>The event in Metering's fields, each value copied as sent (raw JSON), so the validator judges what was sent.</summary>
    private static JsonElement AsEvent(JsonElement cloudEvent, string key)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("idempotency_key", key);
            foreach ((string theirs, string ours) in new[] { ("subject", "subject"), ("type", "event_type"), ("time", "timestamp"), ("data", "properties") })
            {
                if (JsonBody.TryGetMember(cloudEvent, theirs, out JsonElement value))
                {
                    writer.WritePropertyName(ours);
                    writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(value), skipInputValidation: true);
                }
            }

            writer.WriteEndObject();
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static string? Text(JsonElement json, string name, Dictionary<string, string[]> errors)
    {
        if (!JsonBody.TryGetMember(json, name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            errors[name] = [$"'{name}' is required."];
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || StorableText.Of(value, invalidUtf8IsReplaced: false) is not null || value.GetString()!.Length == 0)
        {
            errors[name] = [$"'{name}' must be a non-empty string PostgreSQL can store."];
            return null;
        }

        return value.GetString();
    }
}
