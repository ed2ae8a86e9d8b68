using System.Text.Json.Serialization;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Catalog;
using Metering.Grains.Usage;

namespace Metering.Gateway.OpenMeter;

/// <summary>A meter query as OpenMeter's clients send it: in the query string of <c>GET .../query</c>
/// (<c>subject</c> and <c>groupBy</c> repeated, <c>filterGroupBy[k]=v</c>) or as the JSON body of <c>POST .../query</c>.</summary>
public sealed record MeterQueryRequest(
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("to")] string? To,
    [property: JsonPropertyName("windowSize")] string? WindowSize,
    [property: JsonPropertyName("windowTimeZone")] string? WindowTimeZone,
    [property: JsonPropertyName("subject")] IReadOnlyList<string> Subject,
    [property: JsonPropertyName("groupBy")] IReadOnlyList<string> GroupBy,
    [property: JsonPropertyName("filterGroupBy")] IReadOnlyDictionary<string, string> FilterGroupBy) : IJsonRequest<MeterQueryRequest>
{
    public const int MaxSubjects = 100;


    public static MeterQueryRequest? Read(JsonBody body, HttpContext http)
    {
        string? from = body.String("from", false, 64);
        string? to = body.String("to", false, 64);
        string? windowSize = body.String("windowSize", false, 16);
        string? zone = body.String("windowTimeZone", false, 64);
        string[] subjects = body.StringArray("subject", false, MaxSubjects) ?? [];
        string[] groupBy = body.StringArray("groupBy", false, 17) ?? [];
        var filters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body.Object("filterGroupBy", false) is { } map)
        {
            foreach ((string name, _) in body.Members("filterGroupBy", map.Root) ?? [])
            {
                if (map.String(name, true) is { } value)
                {
                    filters[name] = value;
                }
            }
        }

        return body.HasErrors ? null : new MeterQueryRequest(from, to, windowSize, zone, subjects, groupBy, filters);
    }

    /// <summary>The query on <paramref name="meter"/>, or the problem: [from, to) on whole minutes (from defaults to the
    /// meter's creation, to to the next minute), a known window size and IANA time zone, group-by and filter keys among the
    /// meter's (and <c>subject</c>).</summary>
    public (MeterQuery? Query, ApiError? Error) Resolve(Meter meter, DateTimeOffset now)
    {
        DateTimeOffset from = UsageCalculator.MinuteOf(meter.CreatedAt), to = UsageCalculator.MinuteOf(now).AddMinutes(1);
        if ((From is not null && !Wire.TryParseTime(From, out from)) || (To is not null && !Wire.TryParseTime(To, out to)))
        {
            return (null, ApiError.Invalid(From is not null && !Wire.TryParseTime(From, out _) ? "from" : "to", "'from' and 'to' must be RFC 3339 timestamps."));
        }

        from = from.ToUniversalTime();
        to = to.ToUniversalTime();
        if (UsageCalculator.MinuteOf(from) != from || UsageCalculator.MinuteOf(to) != to)
        {
            return (null, ApiError.Invalid("from", "'from' and 'to' must fall on whole minutes."));
        }

        if (from >= to)
        {
            return (null, ApiError.Invalid("to", "'to' must be after 'from'."));
        }

        MeterWindowSize? size = null;
        if (WindowSize is not null)
        {
            if (WindowSize != WindowSize.ToUpperInvariant() || !WireName.TryParseWire(WindowSize.ToLowerInvariant(), out MeterWindowSize parsed))
            {
                return (null, ApiError.Invalid("windowSize", "'windowSize' must be MINUTE, HOUR, DAY or MONTH."));
            }

            size = parsed;
        }

        TimeZoneInfo zone = TimeZoneInfo.Utc;
        if (WindowTimeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(WindowTimeZone, out zone!))
        {
            return (null, ApiError.Invalid("windowTimeZone", $"'{WindowTimeZone}' is not an IANA time zone."));
        }

        if (GroupBy.FirstOrDefault(g => g != MeterQuery.SubjectDimension && !meter.GroupBy.Contains(g)) is { } unknown)
        {
            return (null, ApiError.Invalid("groupBy", $"'{unknown}' is neither 'subject' nor a groupBy property of meter '{meter.Code}'."));
        }

        if (FilterGroupBy.Keys.FirstOrDefault(k => !meter.GroupBy.Contains(k)) is { } unfiltered)
        {
            return (null, ApiError.Invalid("filterGroupBy", $"'{unfiltered}' is not a groupBy property of meter '{meter.Code}'."));
        }

        if (Subject.Count > MaxSubjects)
        {
            return (null, ApiError.Invalid("subject", $"At most {MaxSubjects} subjects."));
        }

        return (new MeterQuery(from, to, size, zone, [.. Subject.Distinct(StringComparer.Ordinal)], [.. GroupBy.Distinct(StringComparer.Ordinal)], FilterGroupBy), null);
    }
}
