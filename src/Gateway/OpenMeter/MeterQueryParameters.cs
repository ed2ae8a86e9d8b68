using Microsoft.AspNetCore.Mvc;

namespace Metering.Gateway.OpenMeter;

/// <summary>The query string of OpenMeter's <c>GET /api/v1/meters/{idOrSlug}/query</c>: <c>from</c>, <c>to</c>,
/// <c>windowSize</c>, <c>windowTimeZone</c>, <c>subject</c> and <c>groupBy</c> (both repeatable), and any number of
/// <c>filterGroupBy[dimension]=value</c>, whose names are the dimensions themselves (read from the query as a whole).</summary>
public sealed record MeterQueryParameters(
    [property: FromQuery(Name = "from")] string? From,
    [property: FromQuery(Name = "to")] string? To,
    [property: FromQuery(Name = "windowSize")] string? WindowSize,
    [property: FromQuery(Name = "windowTimeZone")] string? WindowTimeZone,
    [property: FromQuery(Name = "subject")] string[]? Subject,
    [property: FromQuery(Name = "groupBy")] string[]? GroupBy)
{
    private const string FilterPrefix = "filterGroupBy[";

    public MeterQueryRequest ToRequest(IQueryCollection query)
    {
        var filters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, Microsoft.Extensions.Primitives.StringValues values) in query)
        {
            if (key.StartsWith(FilterPrefix, StringComparison.Ordinal) && key.EndsWith(']') && key.Length > FilterPrefix.Length + 1)
            {
                filters[key[FilterPrefix.Length..^1]] = values.ToString();
            }
        }

        return new MeterQueryRequest(From, To, WindowSize, WindowTimeZone, Subject ?? [], GroupBy ?? [], filters);
    }
}
