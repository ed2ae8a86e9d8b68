using Metering.Grains.Catalog;
using Metering.Grains.Quotas;
using Metering.Grains.Usage;

namespace Metering.UnitTests.Usage;

/// <summary>Sums past decimal's range stop at its bounds: usage is summed again from the event log on every activation, so a
/// sum that threw would leave the subscription unloadable for good.</summary>
public sealed class SaturatingTests
{
    [Theory]
    [InlineData("1", "2", "3")]
    [InlineData("79228162514264337593543950335", "1", "79228162514264337593543950335")]
    [InlineData("79228162514264337593543950335", "79228162514264337593543950335", "79228162514264337593543950335")]
    [InlineData("-79228162514264337593543950335", "-0.5", "-79228162514264337593543950335")]
    [InlineData("79228162514264337593543950335", "-1", "79228162514264337593543950334")]
    public void Add_stops_at_the_bounds(string a, string b, string sum)
        => Assert.Equal(decimal.Parse(sum, System.Globalization.CultureInfo.InvariantCulture),
            Saturating.Add(decimal.Parse(a, System.Globalization.CultureInfo.InvariantCulture), decimal.Parse(b, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Subtract_stops_at_the_bounds()
    {
        Assert.Equal(decimal.MaxValue, Saturating.Subtract(decimal.MaxValue, decimal.MinValue));
        Assert.Equal(decimal.MinValue, Saturating.Subtract(decimal.MinValue, 1));
        Assert.Equal(-1, Saturating.Subtract(1, 2));
    }

    [Fact]
    public void A_sum_aggregate_and_its_merge_stop_at_the_largest_decimal()
    {
        var aggregate = new Aggregate();
        aggregate.Add(Aggregation.Sum, decimal.MaxValue, null, DateTimeOffset.UnixEpoch, 1);
        aggregate.Add(Aggregation.Sum, decimal.MaxValue, null, DateTimeOffset.UnixEpoch, 2);
        var other = new Aggregate();
        other.Add(Aggregation.Sum, 5, null, DateTimeOffset.UnixEpoch, 3);
        aggregate.Merge(other);

        Assert.Equal(decimal.MaxValue, aggregate.Value(Aggregation.Sum));
        Assert.Equal(3, aggregate.Count);
    }

    [Fact]
    public void A_quota_decides_at_the_bounds_without_overflowing()
    {
        var definition = new QuotaDefinition(decimal.MaxValue, QuotaPeriod.None, QuotaOverflow.AllowOverage, null);
        var epoch = new QuotaEpoch(DateTimeOffset.MinValue, null, 0, decimal.MaxValue);

        QuotaView full = QuotaRules.Decide("m", definition, epoch, decimal.MaxValue, 1);
        QuotaView negative = QuotaRules.Decide("m", definition with { Overflow = QuotaOverflow.Block }, epoch, decimal.MinValue, 1);

        Assert.Equal(0, full.Remaining);
        Assert.True(full.Allowed);
        Assert.Equal(decimal.MaxValue, negative.Remaining);
        Assert.True(negative.Allowed);
        Assert.Equal(decimal.MaxValue, QuotaRules.Adjust(decimal.MaxValue, new CreditAdjustment(null, decimal.MaxValue, null)));
    }
}
