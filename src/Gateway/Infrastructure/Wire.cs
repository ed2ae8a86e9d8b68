using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Metering.Gateway.Infrastructure;

/// <summary>How values look on the wire: snake_case JSON, decimals as strings, RFC 3339 UTC timestamps.</summary>
public static partial class Wire
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>As <see cref="Json"/>, leaving out null fields (answers whose optional fields appear only when they apply).</summary>
    public static readonly JsonSerializerOptions Compact = new(Json)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Decimal(decimal value) => (value / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);

    public static string? Decimal(decimal? value) => value is null ? null : Decimal(value.Value);

    public static string? Time(DateTimeOffset? value) => value is { } v ? Time(v) : null;

    public static string Time(DateTimeOffset value) => value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    public static bool TryParseTime(string? text, out DateTimeOffset value)
    {
        value = default;
        return text is not null && Rfc3339().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);
    }

    /// <summary>Ids of customers, plans, subscriptions and tenants: never '/' or '#', which grain keys use.</summary>
    public static bool IsId(string? value) => value is not null && IdPattern().IsMatch(value);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();

    [GeneratedRegex(@"^[A-Za-z0-9_.:@-]{1,128}$")]
    private static partial Regex IdPattern();
}
