namespace Metering.Silo.Listing;

/// <summary>One page of a collection: at most <see cref="Limit"/> items after the item whose cursor is <see cref="After"/>
/// (from the start when null). Collections are read in a fixed order of a unique key, so a page never repeats or skips an
/// item that existed when the first page was read, however many are inserted meanwhile.</summary>
public sealed record PageRequest(int Limit, string? After)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public static PageRequest First(int limit = DefaultLimit) => new(limit, null);
}
