namespace Metering.Silo.Listing;

/// <summary>A page of a collection; <see cref="NextCursor"/> is the cursor of its last item when more follow.</summary>
public sealed record Page<T>(IReadOnlyList<T> Data, bool HasMore, string? NextCursor)
{
    /// <summary>The page from up to <c>limit + 1</c> rows read in order: the extra row only says that more follow.</summary>
    public static Page<T> From(IReadOnlyList<T> rows, int limit, Func<T, string> cursorOf)
    {
        bool more = rows.Count > limit;
        IReadOnlyList<T> data = more ? rows.Take(limit).ToList() : rows;
        return new Page<T>(data, more, more ? cursorOf(data[^1]) : null);
    }

    public Page<TOut> Select<TOut>(Func<T, TOut> map) => new(Data.Select(map).ToList(), HasMore, NextCursor);
}
