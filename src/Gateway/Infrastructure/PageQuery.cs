using System.Globalization;
using Metering.Silo.Listing;
using Microsoft.AspNetCore.Mvc;

namespace Metering.Gateway.Infrastructure;

/// <summary>The paging parameters every list takes: <c>?limit=</c> (1–500, default 50) and <c>?starting_after=</c> (the
/// <c>next_cursor</c> of the page before). Bound as text, so a malformed limit is a problem with a code, not a bare 400.</summary>
public sealed record PageQuery(
    [property: FromQuery(Name = "limit")] string? Limit,
    [property: FromQuery(Name = "starting_after")] string? StartingAfter)
{
    /// <summary>The page asked for, or the problem with the parameters.</summary>
    public (PageRequest? Page, ApiError? Error) Read()
    {
        int limit = PageRequest.DefaultLimit;
        if (Limit is not null && (!int.TryParse(Limit, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > PageRequest.MaxLimit))
        {
            return (null, ApiError.Invalid("limit", $"'limit' must be a whole number from 1 to {PageRequest.MaxLimit}."));
        }

        if (StartingAfter is { Length: 0 or > 300 })
        {
            return (null, ApiError.Invalid("starting_after", "'starting_after' must be the next_cursor of a page."));
        }

        return (new PageRequest(limit, StartingAfter), null);
    }
}
