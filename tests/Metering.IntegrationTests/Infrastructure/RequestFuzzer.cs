using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>Makes malformed requests out of an endpoint's valid ones, the same ones for the same seed. Every field of a valid
/// body (found by walking it; the first item of an array stands for the rest) is dropped, retyped, set to hostile text
/// (U+0000, unpaired surrogates as JSON escapes, invalid UTF-8, control characters; 1 MB at the top level) and, when it holds
/// a number, to numbers no decimal or PostgreSQL numeric holds; every object gets member names of the same kind; each path
/// parameter and query value gets hostile segments; then whole bodies are truncated, nested 10,000 levels deep, replaced by
/// non-JSON, sent under other content types, and the rest is random stacks of these mutations.</summary>
public sealed partial class RequestFuzzer(int seed)
{
    public const int RandomCasesPerTarget = 12;

    private const string JsonType = "application/json";

    private readonly Random _random = new(seed);
    private int _serial;
    private int _targets;

    /// <summary>Text as JSON string literals (raw bytes where the point is bytes JSON escapes cannot make): what PostgreSQL
    /// cannot store, what .NET cannot read as a string, and control characters, which are legal and must stay so.</summary>
    private static readonly (string Name, byte[] Json)[] s_hostileText =
    [
        ("U+0000", Bytes("\"a\\u0000b\"")),
        ("lone high surrogate", Bytes("\"a\\ud800\"")),
        ("lone low surrogate", Bytes("\"\\udc00b\"")),
        ("reversed surrogate pair", Bytes("\"\\ude00\\ud83d\"")),
        ("control characters", Bytes("\"\\u0001\\b\\t\\n\\u001b\\u001f\u007f\"")),
        ("overlong UTF-8 U+0000", Bytes("\"a", new byte[] { 0xC0, 0x80 }, "b\"")),
        ("invalid UTF-8", Bytes("\"", new byte[] { 0xFF, 0xFE, 0x41 }, "\"")),
        ("UTF-8 encoded surrogate", Bytes("\"", new byte[] { 0xED, 0xA0, 0x80 }, "\"")),
    ];

    /// <summary>More text for the random cases: edges of length rules and characters ids and grain keys must not take.</summary>
    private static readonly (string Name, byte[] Json)[] s_oddText =
    [
        ("empty string", Bytes("\"\"")),
        ("blank", Bytes("\"   \"")),
        ("grain key separators", Bytes("\"a/b#c\"")),
        ("SQL", Bytes("\"'; DROP TABLE events; --\"")),
        ("format characters", Bytes("\"\\u202e\\u200b\\ufeff\"")),
        ("noncharacters", Bytes("\"\\uffff\\ufffe\"")),
        ("emoji", Bytes("\"\\ud83d\\ude00\"")),
        ("65 characters", Bytes("\"" + new string('a', 65) + "\"")),
        ("129 characters", Bytes("\"" + new string('b', 129) + "\"")),
        ("256 characters", Bytes("\"" + new string('c', 256) + "\"")),
        ("percent-encoded U+0000", Bytes("\"%00\"")),
    ];

    /// <summary>Numbers past decimal's range, past PostgreSQL numeric's (10^131072, 16383 fraction digits), not numbers at
    /// all, and the largest decimal, which parses and then overflows whatever multiplies or adds it.</summary>
    private static readonly (string Name, byte[] Json)[] s_hostileNumbers =
    [
        ("1e400", Bytes("1e400")),
        ("2^96", Bytes("79228162514264337593543950336")),
        ("-2^96 as a string", Bytes("\"-79228162514264337593543950336\"")),
        ("largest decimal", Bytes("79228162514264337593543950335")),
        ("-0", Bytes("-0")),
        ("NaN", Bytes("\"NaN\"")),
        ("past numeric's range", Bytes("1e131072")),
        ("past numeric's scale", Bytes("1e-16384")),
        ("a fraction", Bytes("0.5")),
    ];

    private static readonly (string Name, byte[] Json)[] s_types =
    [
        ("null", Bytes("null")),
        ("true", Bytes("true")),
        ("a number", Bytes("12")),
        ("a string", Bytes("\"x\"")),
        ("an array", Bytes("[\"x\",1]")),
        ("an object", Bytes("{\"x\":1}")),
    ];

    private static readonly (string Name, byte[] Body)[] s_notJson =
    [
        ("plain text", Bytes("hello")),
        ("XML", Bytes("<event><subject>x</subject></event>")),
        ("form", Bytes("subject=x&event_type=y")),
        ("lone brace", Bytes("{")),
        ("lone bracket", Bytes("[")),
        ("lone quote", Bytes("\"")),
        ("partial literal", Bytes("nul")),
        ("missing value", Bytes("{\"a\":}")),
        ("single quotes", Bytes("{'a':1}")),
        ("trailing comma", Bytes("{\"a\":1,}")),
        ("comment", Bytes("/* c */ {}")),
        ("NaN literal", Bytes("{\"a\":NaN}")),
        ("two documents", Bytes("{}{}")),
        ("array", Bytes("[{},{}]")),
        ("null", Bytes("null")),
        ("number", Bytes("42")),
        ("string", Bytes("\"text\"")),
        ("raw control character", Bytes("{\"a\":\"", new byte[] { 0x01 }, "\"}")),
        ("raw U+0000", Bytes("{\"a\":\"", new byte[] { 0x00 }, "\"}")),
    ];

    private static readonly string[] s_contentTypes =
    [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=fuzz",
        "application/json; charset=ebcdic",
        ";;garbage;;",
    ];

    /// <summary>Path segments as sent (already percent-encoded): not ids, and bytes that are not text.</summary>
    private static readonly (string Name, string Segment)[] s_hostileSegments =
    [
        ("unknown", "does-not-exist"),
        ("%00", "%00"),
        ("a%00b", "a%00b"),
        ("encoded UTF-8 surrogate", "%ED%A0%80"),
        ("overlong U+0000", "%C0%80"),
        ("invalid UTF-8", "%FF%FE"),
        ("encoded slash", "a%2Fb"),
        ("slash", "a/b"),
        ("dot dot", ".."),
        ("4000 characters", new string('d', 4000)),
        ("emoji", "%F0%9F%98%80"),
        ("zero guid", "00000000-0000-0000-0000-000000000000"),
        ("braced guid", "%7B" + Guid.Empty.ToString() + "%7D"),
        ("control character", "%01%1F"),
    ];

    private static readonly (string Name, string Value)[] s_hostileQuery =
    [
        ("%00", "%00"),
        ("a%00b", "a%00b"),
        ("encoded UTF-8 surrogate", "%ED%A0%80"),
        ("overlong U+0000", "%C0%80"),
        ("invalid UTF-8", "%FF"),
        ("empty", ""),
        ("4000 characters", new string('q', 4000)),
        ("1e400", "1e400"),
        ("2^96", "79228162514264337593543950336"),
        ("largest decimal", "79228162514264337593543950335"),
        ("-0", "-0"),
        ("-1", "-1"),
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("plus", "+"),
    ];

    /// <summary>Every case for the endpoint: the systematic ones, then <see cref="RandomCasesPerTarget"/> random ones.</summary>
    public IReadOnlyList<FuzzCase> Cases(FuzzTarget target)
    {
        _targets++;
        // The valid requests themselves, which reach what lies behind every check.
        List<FuzzCase> cases = target.Bodies.Count == 0
            ? [Case(target, "valid request", null)]
            : Enumerable.Range(0, target.Bodies.Count).Select(v => Case(target, $"valid request {v}", ValidBody(target, v))).ToList();
        if (target.Query is not null)
        {
            cases.AddRange(QueryCases(target));
        }

        if (target.Bodies.Count > 0)
        {
            cases.AddRange(WholeBodyCases(target));
            // Another valid body (another charge model, say) adds the cases of the fields the ones before it lack.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int variant = 0; variant < target.Bodies.Count; variant++)
            {
                foreach (Mutation mutation in Mutations(target, variant, withOptional: true).Where(m => seen.Add(m.Kind)))
                {
                    cases.Add(FromDraft(target, variant, mutation.Kind, mutation.Apply, withOptional: true));
                }
            }
        }

        cases.AddRange(PathCases(target));
        for (int i = 0; i < RandomCasesPerTarget; i++)
        {
            cases.Add(RandomCase(target));
        }

        return cases;
    }

    private string NextKey() => "c" + (_serial++).ToString(CultureInfo.InvariantCulture);

    private string ValidPath(FuzzTarget target, string? parameter = null, string? segment = null)
        => PathParameter().Replace(target.Path, m => m.Groups[1].Value == parameter ? segment! : Uri.EscapeDataString(target.PathValues[m.Groups[1].Value]));

    private FuzzCase Case(FuzzTarget target, string kind, byte[]? body, string? contentType = JsonType, string? path = null)
    {
        string pathAndQuery = path ?? ValidPath(target) + ValidQuery(target);
        // Kestrel refuses a path holding U+0000 (%00) itself; in the query it reaches the application.
        bool refusedByServer = pathAndQuery.Split('?')[0].Contains("%00", StringComparison.Ordinal);
        return new(target.Name, kind, target.Method, pathAndQuery, body, body is null ? null : contentType, target.Admin, refusedByServer);
    }

    private static string ValidQuery(FuzzTarget target)
        => target.Query is null ? "" : "?" + string.Join("&", target.Query.Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value)));

    private byte[] ValidBody(FuzzTarget target, int variant) => new Draft(target.Bodies[variant](NextKey())).Render();

    private IEnumerable<FuzzCase> WholeBodyCases(FuzzTarget target)
    {
        yield return Case(target, "empty body", []);
        yield return Case(target, "no body, no content type", null);
        // Each endpoint gets a share of the bodies that are not JSON and of the content types, in turn, so that every one
        // is sent to several endpoints without sending each to all.
        foreach ((string name, byte[] body) in Rotate(s_notJson, 5))
        {
            yield return Case(target, "not JSON: " + name, body);
        }

        byte[] noise = new byte[64];
        _random.NextBytes(noise);
        yield return Case(target, "random bytes", noise, "application/octet-stream");

        for (int i = 0; i < 2; i++)
        {
            byte[] valid = ValidBody(target, i % target.Bodies.Count);
            int cut = 1 + _random.Next(valid.Length - 1);
            yield return Case(target, $"truncated at {cut} of {valid.Length}", valid[..cut]);
        }

        const int Deep = 10_000;
        yield return Case(target, "10,000 nested arrays", Bytes(new string('[', Deep) + new string(']', Deep)));
        yield return _targets % 2 == 0
            ? Case(target, "10,000 nested objects", Bytes(string.Concat(Enumerable.Repeat("{\"a\":", Deep)) + "1" + new string('}', Deep)))
            : Case(target, "10,000 unclosed arrays", Bytes(new string('[', Deep)));

        foreach (string contentType in Rotate(s_contentTypes, 2))
        {
            yield return Case(target, "content type " + contentType, ValidBody(target, 0), contentType);
        }

        yield return Case(target, "UTF-16 body", Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(ValidBody(target, 0))), "application/json; charset=utf-16");
        yield return Case(target, "byte order mark", [0xEF, 0xBB, 0xBF, .. ValidBody(target, 0)]);
        yield return Case(target, "valid body, no content type", ValidBody(target, 0), null);
        if (target.Oversized)
        {
            yield return Case(target, "6 MiB body", Bytes("{\"pad\":\"" + new string('p', 6 * 1024 * 1024) + "\"}"));
        }
    }

    /// <summary>What can be done to one valid body: each field dropped, retyped, given hostile text or numbers; each object
    /// given hostile member names; the body given unknown members and a 10,000-deep one; each top-level field duplicated.</summary>
    private List<Mutation> Mutations(FuzzTarget target, int variant, bool withOptional)
    {
        JsonObject sample = Sample(target, variant, withOptional);
        var mutations = new List<Mutation>();
        foreach ((IReadOnlyList<object> path, JsonNode? node) in Leaves(sample, []))
        {
            string at = Describe(path);
            JsonValueKind kind = KindOf(node);
            mutations.Add(new Mutation($"drop {at}", d => d.Drop(path)));
            // Retyped to null, an array, an object, and a scalar to the other scalar (a string to a number, anything else to a
            // string); a top-level field to a boolean too.
            foreach ((string name, byte[] json) in s_types.Where(t => t.Name is "null" or "an array" or "an object"
                || t.Name == (kind == JsonValueKind.String ? "a number" : "a string") || (t.Name == "true" && path.Count == 1)))
            {
                if (!SameKind(node, name))
                {
                    mutations.Add(new Mutation($"{name} at {at}", d => d.Set(path, json)));
                }
            }

            bool numeric = kind == JsonValueKind.Number
                || (kind == JsonValueKind.String && decimal.TryParse(node!.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out _));
            if (kind == JsonValueKind.String)
            {
                // A number in a string gets the text that breaks readers; other text gets every kind.
                foreach ((string name, byte[] json) in numeric ? s_hostileText.Where(t => t.Name is "U+0000" or "lone high surrogate" or "invalid UTF-8") : s_hostileText)
                {
                    mutations.Add(new Mutation($"text {name} at {at}", d => d.Set(path, json)));
                }

                if (path.Count == 1 && !numeric)
                {
                    mutations.Add(new Mutation($"1 MB string at {at}", d => d.Set(path, Bytes("\"" + new string('m', 1024 * 1024) + "\""))));
                }
            }

            if (numeric)
            {
                foreach ((string name, byte[] json) in s_hostileNumbers)
                {
                    mutations.Add(new Mutation($"number {name} at {at}", d => d.Set(path, json)));
                }
            }
        }

        foreach ((IReadOnlyList<object> path, _) in Objects(sample, []))
        {
            string at = path.Count == 0 ? "the body" : Describe(path);
            mutations.Add(new Mutation($"member named U+0000 in {at}", d => d.AddMember(path, Bytes("\\u0000"), Bytes("\"v\""))));
            mutations.Add(new Mutation($"member named with a lone surrogate in {at}", d => d.AddMember(path, Bytes("a\\ud800"), Bytes("1"))));
            mutations.Add(new Mutation($"member with an invalid UTF-8 name in {at}", d => d.AddMember(path, [0xFF, 0x61], Bytes("1"))));
        }

        mutations.Add(new Mutation("unknown members", d => d.AddMember([], Bytes("unknown_field"), Bytes("{\"deep\":[1,{\"x\":\"\\u0000\\ud800\"}],\"n\":1e400}"))));
        mutations.Add(new Mutation("10,000 levels in an unknown member", d => d.AddMember([], Bytes("zz_deep"), Bytes(new string('[', 10_000) + new string(']', 10_000)))));
        int field = 0;
        foreach (string name in sample.Select(p => p.Key).ToList())
        {
            // Which of two members of one name counts is the parser's choice: a wrong one goes first and last in turn.
            bool first = field++ % 2 == 0;
            mutations.Add(new Mutation($"{name} twice, wrong one {(first ? "first" : "last")}", d => d.Duplicate(name, Bytes("{\"x\":\"\\u0000\"}"), first)));
        }

        return mutations;
    }

    private JsonObject Sample(FuzzTarget target, int variant, bool withOptional)
    {
        JsonObject body = target.Bodies[variant]("sample");
        if (withOptional && target.OptionalText is not null)
        {
            foreach ((string name, string value) in target.OptionalText)
            {
                body[name] = value;
            }
        }

        return body;
    }

    private FuzzCase FromDraft(FuzzTarget target, int variant, string kind, Action<Draft> apply, bool withOptional)
    {
        var draft = new Draft(target.Bodies[variant](NextKey()));
        if (withOptional && target.OptionalText is not null)
        {
            foreach ((string name, string value) in target.OptionalText)
            {
                draft.Root[name] = value;
            }
        }

        apply(draft);
        return Case(target, target.Bodies.Count > 1 ? $"body {variant}: {kind}" : kind, draft.Render());
    }

    private IEnumerable<FuzzCase> PathCases(FuzzTarget target)
    {
        foreach (string parameter in target.PathValues.Keys)
        {
            foreach ((string name, string segment) in s_hostileSegments)
            {
                byte[]? body = target.Bodies.Count > 0 ? ValidBody(target, 0) : null;
                yield return Case(target, $"path {parameter} {name}", body, path: ValidPath(target, parameter, segment) + ValidQuery(target));
            }
        }
    }

    private IEnumerable<FuzzCase> QueryCases(FuzzTarget target)
    {
        IReadOnlyList<(string Name, string Value)> query = target.Query!;
        string path = ValidPath(target);
        string Encode(IEnumerable<string> pairs) => path + "?" + string.Join("&", pairs);
        IEnumerable<string> Valid(string? except = null) => query.Where(p => p.Name != except).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value));
        foreach ((string name, string value) in query)
        {
            yield return Case(target, $"query without {name}", null, path: Encode(Valid(name)));
            yield return Case(target, $"query {name} twice", null, path: Encode(Valid().Append(name + "=other")));
            foreach ((string kind, string hostile) in s_hostileQuery)
            {
                yield return Case(target, $"query {name} {kind}", null, path: Encode(Valid(name).Append(name + "=" + hostile)));
            }
        }

        yield return Case(target, "query with a body", Bytes("{\"x\":\"\\u0000\"}"));
    }

    /// <summary>One to three mutations stacked on one valid body, or a hostile path or query with a mutated body.</summary>
    private FuzzCase RandomCase(FuzzTarget target)
    {
        if (target.Bodies.Count == 0)
        {
            // An endpoint that reads no body: a hostile path segment or query value, or a body it should ignore.
            int choice = _random.Next(3);
            if (choice == 0 && target.PathValues.Count > 0)
            {
                string parameter = target.PathValues.Keys.ElementAt(_random.Next(target.PathValues.Count));
                (string name, string segment) = s_hostileSegments[_random.Next(s_hostileSegments.Length)];
                return Case(target, $"random: path {parameter} {name}", null, path: ValidPath(target, parameter, segment) + ValidQuery(target));
            }

            if (choice == 1 && target.Query is not null)
            {
                (string qName, _) = target.Query[_random.Next(target.Query.Count)];
                (string kind, string value) = s_hostileQuery[_random.Next(s_hostileQuery.Length)];
                string pairs = string.Join("&", target.Query.Select(p => p.Name + "=" + (p.Name == qName ? value : Uri.EscapeDataString(p.Value))));
                return Case(target, $"random: query {qName} {kind}", null, path: ValidPath(target) + "?" + pairs);
            }

            (string bodyName, byte[] body) = s_notJson[_random.Next(s_notJson.Length)];
            return Case(target, "random: ignored body " + bodyName, body);
        }

        int variant = _random.Next(target.Bodies.Count);
        bool optional = _random.Next(3) == 0;
        List<Mutation> pool = Mutations(target, variant, optional);
        pool.AddRange(OddTextMutations(target, variant, optional));
        int count = 1 + _random.Next(3);
        Mutation[] picked = Enumerable.Range(0, count).Select(_ => pool[_random.Next(pool.Count)]).ToArray();
        return FromDraft(target, variant, "random: " + string.Join(" + ", picked.Select(m => m.Kind)), d =>
        {
            foreach (Mutation m in picked)
            {
                m.Apply(d);
            }
        }, optional);
    }

    private IEnumerable<Mutation> OddTextMutations(FuzzTarget target, int variant, bool optional)
    {
        foreach ((IReadOnlyList<object> path, JsonNode? node) in Leaves(Sample(target, variant, optional), []))
        {
            if (KindOf(node) == JsonValueKind.String)
            {
                foreach ((string name, byte[] json) in s_oddText)
                {
                    yield return new Mutation($"text {name} at {Describe(path)}", d => d.Set(path, json));
                }
            }
        }
    }

    private IEnumerable<T> Rotate<T>(T[] items, int count)
        => Enumerable.Range(0, Math.Min(count, items.Length)).Select(i => items[(((_targets - 1) * count) + i) % items.Length]);

    private static JsonValueKind KindOf(JsonNode? node) => node?.GetValueKind() ?? JsonValueKind.Null;

    private static bool SameKind(JsonNode? node, string type) => (KindOf(node), type) switch
    {
        (JsonValueKind.Null, "null") => true,
        (JsonValueKind.Array, "an array") => true,
        (JsonValueKind.Object, "an object") => true,
        (JsonValueKind.String, "a string") => true,
        (JsonValueKind.True or JsonValueKind.False, "true") => true,
        (JsonValueKind.Number, "a number") => true,
        _ => false,
    };

    /// <summary>Every value of the tree, containers included, with its path.</summary>
    private static IEnumerable<(IReadOnlyList<object> Path, JsonNode? Node)> Leaves(JsonNode? node, IReadOnlyList<object> path)
    {
        IEnumerable<(object Segment, JsonNode? Child)> children = node switch
        {
            JsonObject o => o.Select(p => ((object)p.Key, p.Value)).ToList(),
            // The first item stands for the rest: they are made alike.
            JsonArray a => a.Take(1).Select(c => ((object)0, c)).ToList(),
            _ => [],
        };
        foreach ((object segment, JsonNode? child) in children)
        {
            IReadOnlyList<object> childPath = [.. path, segment];
            yield return (childPath, child);
            foreach ((IReadOnlyList<object> Path, JsonNode? Node) inner in Leaves(child, childPath))
            {
                yield return inner;
            }
        }
    }

    private static IEnumerable<(IReadOnlyList<object> Path, JsonObject Node)> Objects(JsonNode node, IReadOnlyList<object> path)
    {
        if (node is JsonObject o)
        {
            yield return (path, o);
        }

        foreach ((IReadOnlyList<object> p, JsonNode? n) in Leaves(node, path))
        {
            if (n is JsonObject inner)
            {
                yield return (p, inner);
            }
        }
    }

    private static string Describe(IReadOnlyList<object> path)
        => string.Concat(path.Select((s, i) => s is int index ? $"[{index}]" : (i == 0 ? "" : ".") + s));

    public static byte[] Bytes(params object[] parts)
    {
        var buffer = new List<byte>();
        foreach (object part in parts)
        {
            buffer.AddRange(part as byte[] ?? Encoding.UTF8.GetBytes((string)part));
        }

        return [.. buffer];
    }

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex PathParameter();

    private sealed record Mutation(string Kind, Action<Draft> Apply);

    /// <summary>A body being mutated: a JSON tree whose values may stand for raw bytes (markers replaced when rendered), so
    /// that it can hold what a JSON serializer would never write: unpaired surrogates, invalid UTF-8, 1e400, duplicates.</summary>
    private sealed partial class Draft(JsonObject root)
    {
        private readonly List<byte[]> _raw = [];

        public JsonObject Root { get; } = root;

        private JsonNode Marker(byte[] json)
        {
            _raw.Add(json);
            return JsonValue.Create($"~fz{_raw.Count - 1}~");
        }

        private JsonNode? Parent(IReadOnlyList<object> path)
        {
            JsonNode? node = Root;
            foreach (object segment in path.Take(path.Count - 1))
            {
                node = segment switch
                {
                    string name when node is JsonObject o => o[name],
                    int index when node is JsonArray a && index < a.Count => a[index],
                    _ => null,
                };
            }

            return node;
        }

        public void Set(IReadOnlyList<object> path, byte[] json)
        {
            switch (Parent(path), path[^1])
            {
                case (JsonObject o, string name):
                    o[name] = Marker(json);
                    break;
                case (JsonArray a, int index) when index < a.Count:
                    a[index] = Marker(json);
                    break;
            }
        }

        public void Drop(IReadOnlyList<object> path)
        {
            switch (Parent(path), path[^1])
            {
                case (JsonObject o, string name):
                    o.Remove(name);
                    break;
                case (JsonArray a, int index) when index < a.Count:
                    a.RemoveAt(index);
                    break;
            }
        }

        /// <summary>Adds a member whose name is given as the bytes between its quotes (escapes and all): a JSON tree cannot
        /// hold a name with an unpaired surrogate or invalid UTF-8, so the name is a marker too.</summary>
        public void AddMember(IReadOnlyList<object> path, byte[] rawName, byte[] json)
        {
            JsonNode? target = path.Count == 0 ? Root : Parent([.. path, ""]);
            if (target is JsonObject o)
            {
                o[NameMarker(rawName)] = Marker(json);
            }
        }

        /// <summary>A second member of the same name at the root, before or after the valid one.</summary>
        public void Duplicate(string name, byte[] json, bool first)
        {
            List<KeyValuePair<string, JsonNode?>> members = [.. Root];
            Root.Clear();
            if (first)
            {
                Root[NameMarker(Bytes(name))] = Marker(json);
            }

            foreach ((string key, JsonNode? value) in members)
            {
                Root[key] = value;
            }

            if (!first)
            {
                Root[NameMarker(Bytes(name))] = Marker(json);
            }
        }

        private string NameMarker(byte[] rawName)
        {
            _raw.Add(rawName);
            return $"~fzname{_raw.Count - 1}~";
        }

        public byte[] Render()
        {
            string text = Root.ToJsonString();
            var output = new List<byte>();
            int last = 0;
            foreach (Match m in MarkerPattern().Matches(text))
            {
                output.AddRange(Encoding.UTF8.GetBytes(text[last..m.Index]));
                byte[] raw = _raw[int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)];
                // A value marker stands for the raw JSON itself; a name marker for the text between the quotes.
                output.AddRange(m.Groups[1].Value.Length == 0 ? raw : [(byte)'"', .. raw, (byte)'"']);
                last = m.Index + m.Length;
            }

            output.AddRange(Encoding.UTF8.GetBytes(text[last..]));
            return [.. output];
        }

        [GeneratedRegex("\"~fz(name|)(\\d+)~\"")]
        private static partial Regex MarkerPattern();
    }
}
