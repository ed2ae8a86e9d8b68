using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Metering.Grains.Usage;

namespace Metering.Gateway.Infrastructure;

/// <summary>Reads a JSON request body with a size limit and typed field access that collects clear errors.</summary>
public sealed class JsonBody
{
    public const int MaxBodyBytes = 5 * 1024 * 1024;

    private readonly Dictionary<string, string[]> _errors;
    private readonly string _prefix;

    private JsonBody(JsonElement root, Dictionary<string, string[]>? errors = null, string prefix = "")
    {
        Root = root;
        _errors = errors ?? [];
        _prefix = prefix;
    }

    public JsonElement Root { get; }

    public bool HasErrors => _errors.Count > 0;

    public ApiError Error => new(400, ApiError.Codes.InvalidRequest, string.Join(" ", _errors.Select(e => e.Value[0])), _errors);

    /// <summary>Reads the body as a JSON object (owning a copy of it), or the error to answer.</summary>
    public static async Task<(JsonBody? Body, ApiError? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        (JsonElement? root, ApiError? error) = await ReadJsonAsync(request, cancellationToken).ConfigureAwait(false);
        if (root is not { } json)
        {
            return (null, error);
        }

        return json.ValueKind == JsonValueKind.Object
            ? (new JsonBody(json), null)
            : (null, new ApiError(400, ApiError.Codes.InvalidRequest, "The body must be a JSON object."));
    }

    /// <summary>Wraps a JSON object read elsewhere (an item of an array body), with its own error collection.</summary>
    public static JsonBody Of(JsonElement obj) => new(obj);

    /// <summary>Reads the body as any JSON value (owning a copy of it), or the error to answer.</summary>
    public static async Task<(JsonElement? Root, ApiError? Error)> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, TooLarge());
        }

        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                return (null, TooLarge());
            }
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException ex)
        {
            return (null, new ApiError(400, ApiError.Codes.InvalidRequest, $"The body is not valid JSON: {ex.Message}"));
        }
    }

    private static ApiError TooLarge() => new(413, ApiError.Codes.PayloadTooLarge, $"The body is larger than {MaxBodyBytes} bytes.");

    public void Fail(string field, string message) => _errors.TryAdd(_prefix + field, [message]);

    /// <summary>The field when it is present and not null; a missing required field is reported.</summary>
    private bool TryGet(string name, bool required, out JsonElement value)
    {
        if (TryGetMember(Root, name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        if (required)
        {
            Fail(name, $"'{name}' is required.");
        }

        return false;
    }

    /// <summary>A nested object, read with the same error collection (fields named <c>name.field</c>).</summary>
    public JsonBody? Object(string name, bool required)
    {
        if (!TryGet(name, required, out JsonElement value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            Fail(name, $"'{name}' must be an object.");
            return null;
        }

        return new JsonBody(value, _errors, _prefix + name + ".");
    }

    public string? String(string name, bool required, int maxLength = 255, Func<string, bool>? valid = null, string? rule = null)
    {
        if (!TryGet(name, required, out JsonElement value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Fail(name, $"'{name}' must be a string.");
            return null;
        }

        if (StorableText.Of(value, invalidUtf8IsReplaced: false) is { } fault)
        {
            Fail(name, StorableText.Describe(name, fault));
            return null;
        }

        string text = value.GetString()!;
        if (text.Length == 0 || text.Length > maxLength || (valid is not null && !valid(text)))
        {
            Fail(name, rule ?? $"'{name}' must be 1 to {maxLength} characters.");
            return null;
        }

        return text;
    }

    /// <summary>A decimal given as a JSON number or a decimal string.</summary>
    public decimal? Decimal(string name, bool required, decimal? min = null)
    {
        if (!TryGet(name, required, out JsonElement value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String && StorableText.Of(value, invalidUtf8IsReplaced: false) is { } fault)
        {
            Fail(name, StorableText.Describe(name, fault));
            return null;
        }

        // Numbers are read as meters read them: a JSON number or a decimal string.
        bool ok = MeterReading.TryNumber(value, out decimal parsed);
        if (!ok || (min is not null && parsed < min))
        {
            Fail(name, min is null ? $"'{name}' must be a decimal number or string." : $"'{name}' must be a decimal of at least {min}.");
            return null;
        }

        return parsed;
    }

    public DateTimeOffset? Time(string name, bool required)
    {
        string? text = String(name, required, 64);
        if (text is null)
        {
            return null;
        }

        if (!Wire.TryParseTime(text, out DateTimeOffset time))
        {
            Fail(name, $"'{name}' must be an RFC 3339 timestamp.");
            return null;
        }

        return time.ToUniversalTime();
    }

    public string[]? StringArray(string name, bool required, int maxItems = 100, int maxLength = 255)
    {
        if (!TryGet(name, required, out JsonElement value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > maxItems || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
        {
            Fail(name, $"'{name}' must be an array of at most {maxItems} strings of 1 to {maxLength} characters.");
            return null;
        }

        int index = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            string path = $"{name}[{index++}]";
            if (StorableText.Of(item, invalidUtf8IsReplaced: false) is { } fault)
            {
                Fail(path, StorableText.Describe(path, fault));
                return null;
            }
        }

        string[] items = value.EnumerateArray().Select(v => v.GetString()!).ToArray();
        if (items.Any(v => v.Length == 0 || v.Length > maxLength))
        {
            Fail(name, $"'{name}' must be an array of at most {maxItems} strings of 1 to {maxLength} characters.");
            return null;
        }

        return items;
    }

    /// <summary>The field, which is kept as JSON (a jsonb column): present, and holding nothing PostgreSQL refuses (see
    /// <see cref="StorableText.Find"/>), or reported. Every string in it must be UTF-8, for it is also read as text.</summary>
    public bool TryJson(string name, out JsonElement value)
    {
        if (!TryGet(name, required: true, out value))
        {
            return false;
        }

        if (StorableText.Find(value, name, invalidUtf8IsReplaced: false) is { } problem)
        {
            Fail(problem.Path, problem.Message);
            return false;
        }

        return true;
    }

    /// <summary>The members of <paramref name="obj"/> (the object field <paramref name="field"/>), or null with a fault when a
    /// member's name is not text PostgreSQL can store (not UTF-8, an unpaired surrogate, U+0000).</summary>
    public (string Name, JsonElement Value)[]? Members(string field, JsonElement obj)
    {
        var members = new List<(string, JsonElement)>();
        foreach (JsonProperty property in obj.EnumerateObject())
        {
            if (StorableText.Of(JsonMarshal.GetRawUtf8PropertyName(property), invalidUtf8IsReplaced: false) is { } fault)
            {
                Fail(field, $"A name in '{field}' {StorableText.Describe(field, fault)[(field.Length + 3)..]}");
                return null;
            }

            members.Add((property.Name, property.Value));
        }

        return [.. members];
    }

    /// <summary>The member named <paramref name="name"/> (the last, when there are several), as
    /// <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/> finds it, but never throwing: that one unescapes the
    /// names in its way, and throws on one holding an escaped unpaired surrogate. Such a name equals no name looked up, so
    /// the member is skipped like any unknown one.</summary>
    public static bool TryGetMember(JsonElement obj, string name, out JsonElement value)
    {
        value = default;
        bool found = false;
        foreach (JsonProperty property in obj.EnumerateObject())
        {
            ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8PropertyName(property);
            bool match = raw.IndexOf((byte)'\\') < 0
                ? Ascii.Equals(raw, name)
                : StorableText.Of(raw, invalidUtf8IsReplaced: true) != StorableText.Problem.UnpairedSurrogate && property.NameEquals(name);
            if (match)
            {
                value = property.Value;
                found = true;
            }
        }

        return found;
    }
}
