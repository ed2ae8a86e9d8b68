using Metering.Silo.Listing;

namespace Metering.UnitTests.Catalog;

public sealed class PagesTests
{
    [Fact]
    public void A_page_of_limit_plus_one_rows_has_more_and_its_cursor_is_its_last_item()
    {
        Page<string> page = Page<string>.From(["a", "b", "c"], 2, s => s);
        Assert.Equal(["a", "b"], page.Data);
        Assert.True(page.HasMore);
        Assert.Equal("b", page.NextCursor);
        Page<string> last = Page<string>.From(["a", "b"], 2, s => s);
        Assert.False(last.HasMore);
        Assert.Null(last.NextCursor);
        Assert.Equal(["A", "B"], last.Select(s => s.ToUpperInvariant()).Data);
    }

    [Fact]
    public void Pages_of_a_list_in_memory_walk_it_in_ordinal_order_once()
    {
        string[] items = ["b", "a", "C", "d", "e"];
        var seen = new List<string>();
        string? after = null;
        do
        {
            Page<string> page = Pages.Of(items, new PageRequest(2, after), s => s);
            seen.AddRange(page.Data);
            after = page.NextCursor;
        }
        while (after is not null);
        Assert.Equal(["C", "a", "b", "d", "e"], seen);
    }
}
