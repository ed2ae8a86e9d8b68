using Metering.Silo.Listing;

namespace Metering.Gateway.Infrastructure;

/// <summary>A page on the wire: <c>{"data":[...],"has_more":bool,"next_cursor":...}</c>; <c>next_cursor</c> is null on the last page.</summary>
public sealed record PageJson<T>(IReadOnlyList<T> Data, bool HasMore,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] string? NextCursor)
{
    public static PageJson<T> Of<TItem>(Page<TItem> page, Func<TItem, T> json) => new(page.Data.Select(json).ToList(), page.HasMore, page.NextCursor);
}
