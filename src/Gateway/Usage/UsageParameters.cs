using Metering.Gateway.Infrastructure;
using Metering.Grains.Catalog;
using Metering.Grains.Usage;
using Microsoft.AspNetCore.Mvc;

namespace Metering.Gateway.Usage;

/// <summary>The query string of <c>GET /v1/subscriptions/{id}/usage</c>: <c>meter</c> (required), <c>from</c> and <c>to</c>
/// (RFC 3339 on whole minutes; the current period's hours by default), <c>window</c> (minute, hour, day or none) and
/// <c>group_by</c> (repeated, or comma-separated).</summary>
public sealed record UsageParameters(
    [property: FromQuery(Name = "meter")] string? Meter,
    [property: FromQuery(Name = "from")] string? From,
    [property: FromQuery(Name = "to")] string? To,
    [property: FromQuery(Name = "window")] string? Window,
    [property: FromQuery(Name = "group_by")] string[]? GroupBy)
{
    /// <summary>The query over <paramref name="meter"/>, its range defaulting to the hours of <paramref name="period"/>, or the problem.</summary>
    public (UsageQuery? Query, ApiError? Error) Resolve(Meter meter, BillingPeriod period)
    {
        // Periods may start off the hour (a subscription started at 10:30): the period's range is its hours, as invoices bill it.
        (DateTimeOffset from, DateTimeOffset to) = period.UsageHours;
        if (From is not null && !Wire.TryParseTime(From, out from))
        {
            return (null, ApiError.Invalid("from", "'from' must be an RFC 3339 timestamp."));
        }

        if (To is not null && !Wire.TryParseTime(To, out to))
        {
            return (null, ApiError.Invalid("to", "'to' must be an RFC 3339 timestamp."));
        }

        if (UsageCalculator.MinuteOf(from) != from || UsageCalculator.MinuteOf(to) != to)
        {
            return (null, ApiError.Invalid("from", "'from' and 'to' must fall on whole minutes."));
        }

        if (from >= to)
        {
            return (null, ApiError.Invalid("to", "'to' must be after 'from'."));
        }

        UsageWindow window = UsageWindow.None;
        if (Window is not null && !TryParseWindow(Window, out window))
        {
            return (null, ApiError.Invalid("window", "'window' must be minute, hour, day or none."));
        }

        string[] groupBy = [.. (GroupBy ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct()];
        if (groupBy.FirstOrDefault(g => !meter.GroupBy.Contains(g)) is { } unknown)
        {
            return (null, ApiError.Invalid("group_by", $"'{unknown}' is not a group_by dimension of meter '{meter.Code}'."));
        }

        return (new UsageQuery(meter.Code, from.ToUniversalTime(), to.ToUniversalTime(), window, groupBy), null);
    }

    private static bool TryParseWindow(string text, out UsageWindow window)
    {
        (bool ok, window) = text switch
        {
            "minute" => (true, UsageWindow.Minute),
            "hour" => (true, UsageWindow.Hour),
            "day" => (true, UsageWindow.Day),
            "none" => (true, UsageWindow.None),
            _ => (false, UsageWindow.None),
        };
        return ok;
    }
}
