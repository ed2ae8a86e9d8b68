using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Metering.Cli.Events;

/// <summary>Events from CSV with a header row: <c>idempotency_key</c>, <c>subject</c>, <c>event_type</c> (or <c>type</c>),
/// <c>timestamp</c> (or <c>time</c>) are the event's fields; every other column is a property, a number when it reads as
/// one. Empty cells are left out. Fields may be quoted ("a, b" and "" for a quote).</summary>
public static class CsvEvents
{
    private static readonly Dictionary<string, string> s_fields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["idempotency_key"] = "idempotency_key",
        ["subject"] = "subject",
        ["event_type"] = "event_type",
        ["type"] = "event_type",
        ["timestamp"] = "timestamp",
        ["time"] = "timestamp",
    };

    public static IEnumerable<(int Line, JsonObject Event)> Parse(string text)
    {
        List<(int Line, List<string> Cells)> rows = Rows(text).Where(r => r.Cells.Count > 1 || r.Cells[0].Length > 0).ToList();
        if (rows.Count == 0)
        {
            yield break;
        }

        List<string> header = rows[0].Cells;
        foreach ((int line, List<string> cells) in rows.Skip(1))
        {
            if (cells.Count != header.Count)
            {
                throw new CliFailure(ExitCodes.Usage, $"CSV line {line}: {cells.Count} fields, but the header has {header.Count}.");
            }

            var e = new JsonObject();
            var properties = new JsonObject();
            for (int i = 0; i < header.Count; i++)
            {
                if (cells[i].Length == 0)
                {
                    continue;
                }

                if (s_fields.TryGetValue(header[i], out string? field))
                {
                    e[field] = cells[i];
                }
                else
                {
                    properties[header[i]] = decimal.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out decimal number) ? JsonValue.Create(number) : JsonValue.Create(cells[i]);
                }
            }

            if (properties.Count > 0)
            {
                e["properties"] = properties;
            }

            yield return (line, e);
        }
    }

    private static IEnumerable<(int Line, List<string> Cells)> Rows(string text)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        int line = 1, start = 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    line += c == '\n' ? 1 : 0;
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else if (c == '\n')
            {
                cells.Add(cell.ToString().TrimEnd('\r'));
                cell.Clear();
                yield return (start, cells);
                cells = [];
                start = ++line;
            }
            else
            {
                cell.Append(c);
            }
        }

        if (cell.Length > 0 || cells.Count > 0)
        {
            cells.Add(cell.ToString().TrimEnd('\r'));
            yield return (start, cells);
        }
    }
}
