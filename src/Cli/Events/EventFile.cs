using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Metering.Cli.Events;

/// <summary>The events of a file, in file order, as the API takes them. Events without an idempotency key get one derived
/// from the file's digest and their position, so sending the file again (a retry, a resume) reuses the same keys.
/// OpenMeter CloudEvents (<c>specversion</c>, <c>id</c>, <c>type</c>, <c>subject</c>, <c>time</c>, <c>data</c>) are mapped to
/// Metering events: id → idempotency_key, type → event_type, time → timestamp, data → properties.</summary>
public sealed class EventFile
{
    private EventFile(string digest, IReadOnlyList<JsonObject> events)
    {
        Digest = digest;
        Events = events;
    }

    /// <summary>The SHA-256 of the file's bytes, in hex.</summary>
    public string Digest { get; }

    public IReadOnlyList<JsonObject> Events { get; }

    public static EventFile Read(string path, EventFormat format)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliFailure(ExitCodes.Usage, $"Cannot read '{path}': {ex.Message}");
        }

        string digest = Convert.ToHexStringLower(SHA256.HashData(bytes));
        string text = Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF');
        if (format == EventFormat.Auto)
        {
            format = path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? EventFormat.Csv
                : text.TrimStart().StartsWith('[') ? EventFormat.Json
                : EventFormat.Ndjson;
        }

        IEnumerable<(int Line, JsonNode? Node)> raw = format switch
        {
            EventFormat.Csv => CsvEvents.Parse(text).Select(e => (e.Line, (JsonNode?)e.Event)),
            EventFormat.Json => JsonArray(text),
            _ => Ndjson(text),
        };
        var events = new List<JsonObject>();
        foreach ((int line, JsonNode? node) in raw)
        {
            if (node is not JsonObject obj)
            {
                throw new CliFailure(ExitCodes.Usage, $"{path}:{line}: an event must be a JSON object.");
            }

            events.Add(Normalize(obj, digest, events.Count));
        }

        return new EventFile(digest, events);
    }

    /// <summary>A CloudEvent mapped to a Metering event, and a key given to an event without one.</summary>
    private static JsonObject Normalize(JsonObject e, string digest, int index)
    {
        if (e.ContainsKey("specversion"))
        {
            var mapped = new JsonObject
            {
                ["idempotency_key"] = e["id"]?.DeepClone(),
                ["subject"] = e["subject"]?.DeepClone(),
                ["event_type"] = e["type"]?.DeepClone(),
            };
            if (e["time"] is { } time)
            {
                mapped["timestamp"] = time.DeepClone();
            }

            if (e["data"] is JsonObject data)
            {
                mapped["properties"] = data.DeepClone();
            }

            e = mapped;
        }

        if (e["idempotency_key"] is null)
        {
            e["idempotency_key"] = $"{digest[..16]}-{index.ToString(CultureInfo.InvariantCulture)}";
        }

        return e;
    }

    private static IEnumerable<(int, JsonNode?)> Ndjson(string text)
    {
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length > 0)
            {
                yield return (i + 1, Parse(line, i + 1));
            }
        }
    }

    private static IEnumerable<(int, JsonNode?)> JsonArray(string text)
    {
        if (Parse(text, 1) is not System.Text.Json.Nodes.JsonArray array)
        {
            throw new CliFailure(ExitCodes.Usage, "The file is not a JSON array of events.");
        }

        return array.Select((node, i) => (i + 1, node?.DeepClone()));
    }

    private static JsonNode? Parse(string json, int line)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new CliFailure(ExitCodes.Usage, $"Line {line}: not JSON: {ex.Message}");
        }
    }
}
