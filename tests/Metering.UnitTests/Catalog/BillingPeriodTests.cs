using Metering.Grains.Catalog;

namespace Metering.UnitTests.Catalog;

public sealed class BillingPeriodTests
{
    private static DateTimeOffset T(string s) => DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("2026-11-01T00:00:00Z", BillingInterval.Month, "2026-11-21T10:00:00Z", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")]
    [InlineData("2026-11-01T00:00:00Z", BillingInterval.Month, "2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    [InlineData("2026-01-31T00:00:00Z", BillingInterval.Month, "2026-02-15T00:00:00Z", "2026-01-31T00:00:00Z", "2026-02-28T00:00:00Z")]
    [InlineData("2026-01-31T00:00:00Z", BillingInterval.Month, "2026-03-01T00:00:00Z", "2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z")]
    [InlineData("2026-01-31T00:00:00Z", BillingInterval.Month, "2026-04-05T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z")]
    [InlineData("2024-01-31T00:00:00Z", BillingInterval.Month, "2024-02-29T12:00:00Z", "2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z")]
    [InlineData("2026-11-01T10:30:00Z", BillingInterval.Day, "2026-11-03T10:29:59Z", "2026-11-02T10:30:00Z", "2026-11-03T10:30:00Z")]
    [InlineData("2026-11-02T00:00:00Z", BillingInterval.Week, "2026-11-20T00:00:00Z", "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z")]
    [InlineData("2024-02-29T00:00:00Z", BillingInterval.Year, "2025-03-01T00:00:00Z", "2025-02-28T00:00:00Z", "2026-02-28T00:00:00Z")]
    [InlineData("2026-11-01T00:00:00Z", BillingInterval.Month, "2026-10-15T00:00:00Z", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")]
    public void Period_containing_an_instant(string anchor, BillingInterval interval, string at, string start, string end)
    {
        BillingPeriod period = BillingPeriod.At(T(anchor), interval, T(at));
        Assert.Equal(T(start), period.Start);
        Assert.Equal(T(end), period.End);
    }

    [Fact]
    public void Periods_off_the_hour_bill_whole_hours_that_tile_exactly()
    {
        DateTimeOffset anchor = T("2026-01-31T10:30:00Z");
        BillingPeriod first = BillingPeriod.At(anchor, BillingInterval.Month, anchor);
        Assert.Equal((T("2026-01-31T10:00:00Z"), T("2026-02-28T10:00:00Z")), first.UsageHours);
        BillingPeriod second = BillingPeriod.At(anchor, BillingInterval.Month, first.End);
        Assert.Equal(first.UsageHours.To, second.UsageHours.From);
        Assert.Equal((T("2026-02-28T10:00:00Z"), T("2026-03-31T10:00:00Z")), second.UsageHours);

        BillingPeriod onTheHour = BillingPeriod.At(T("2026-11-01T00:00:00Z"), BillingInterval.Month, T("2026-11-21T10:00:00Z"));
        Assert.Equal((onTheHour.Start, onTheHour.End), onTheHour.UsageHours);
    }
}
