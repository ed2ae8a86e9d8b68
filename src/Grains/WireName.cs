using System.Text.Json;

namespace Metering.Grains;

/// <summary>The API's names of the domain's enums: each member's name in snake_case (<c>UniqueCount</c> ↔ <c>unique_count</c>).</summary>
public static class WireName
{
    public static string ToWire<T>(this T value) where T : struct, Enum => Names<T>.ByValue[value];

    /// <summary>The member named <paramref name="text"/> exactly; false for anything else (other casings and numbers too).</summary>
    public static bool TryParseWire<T>(string? text, out T value) where T : struct, Enum
    {
        value = default;
        return text is not null && Names<T>.ByName.TryGetValue(text, out value);
    }

    public static T ParseWire<T>(string text) where T : struct, Enum
        => TryParseWire(text, out T value) ? value : throw new FormatException($"'{text}' is not a {typeof(T).Name}.");

    private static class Names<T> where T : struct, Enum
    {
        public static readonly Dictionary<T, string> ByValue = Enum.GetValues<T>().ToDictionary(v => v, v => JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()));

        public static readonly Dictionary<string, T> ByName = ByValue.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }
}
