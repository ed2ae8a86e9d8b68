using Metering.Grains.Pricing;

namespace Metering.UnitTests.Pricing;

public sealed class ChargeModelTests
{
    private static readonly PriceTier[] s_tiers = [new(1000, 0.01m, 0), new(10000, 0.008m, 0), new(null, 0.005m, 0)];
    private static readonly PriceSpec s_packageWithOverage = new(ChargeModel.Package, PackageSize: 1000, PackagePrice: 50, FreeUnits: 100, OverageUnitPrice: 0.06m);

    private static decimal Amount(PriceSpec spec, decimal q, long events = 0) => ChargeModels.Price(spec, q, events).Amount;

    [Fact]
    public void Per_unit_15000_at_0_002_is_30() => Assert.Equal(30.00m, Amount(new PriceSpec(ChargeModel.PerUnit, UnitPrice: 0.002m), 15000));

    [Fact]
    public void Graduated_15000_is_107()
    {
        Charge charge = ChargeModels.Price(new PriceSpec(ChargeModel.Graduated, Tiers: s_tiers), 15000);
        Assert.Equal(107.00m, charge.Amount);
        Assert.Equal([10m, 72m, 25m], charge.Breakdown.Select(l => l.Amount));
        Assert.Equal([1000m, 9000m, 5000m], charge.Breakdown.Select(l => l.Quantity));
        Assert.Equal([0m, 1000m, 10000m], charge.Breakdown.Select(l => l.From));
        Assert.Equal([1000m, 10000m, (decimal?)null], charge.Breakdown.Select(l => l.To));
    }

    [Fact]
    public void Volume_15000_with_the_same_tiers_is_75() => Assert.Equal(75.00m, Amount(new PriceSpec(ChargeModel.Volume, Tiers: s_tiers), 15000));

    [Theory]
    [InlineData(800, 50.00)]
    [InlineData(1200, 62.00)]
    [InlineData(1000, 50.00)]
    [InlineData(0, 0)]
    public void Package_of_1000_for_50_with_overage_0_06(decimal q, decimal expected)
        => Assert.Equal(expected, Amount(new PriceSpec(ChargeModel.Package, PackageSize: 1000, PackagePrice: 50, OverageUnitPrice: 0.06m), q));

    [Theory]
    [InlineData(800, 50)]
    [InlineData(1200, 100)]
    [InlineData(1000, 50)]
    [InlineData(1001, 100)]
    [InlineData(0, 0)]
    public void Package_without_overage_charges_whole_packages(decimal q, decimal expected)
        => Assert.Equal(expected, Amount(new PriceSpec(ChargeModel.Package, PackageSize: 1000, PackagePrice: 50), q));

    [Theory]
    [InlineData(100, 0)]
    [InlineData(1100, 50)]
    [InlineData(2100, 100)]
    public void Package_free_units_come_off_first(decimal q, decimal expected)
        => Assert.Equal(expected, Amount(new PriceSpec(ChargeModel.Package, PackageSize: 1000, PackagePrice: 50, FreeUnits: 100), q));

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    public void Flat_99_whatever_the_quantity(decimal q) => Assert.Equal(99.00m, Amount(new PriceSpec(ChargeModel.Flat, Amount: 99.00m), q));

    [Theory]
    [InlineData(1000, 10)]     // exactly on the first edge: all in tier 1
    [InlineData(1001, 10.008)] // one unit into tier 2
    [InlineData(10000, 82)]    // exactly on the second edge
    [InlineData(0, 0)]
    [InlineData(0.5, 0.005)]   // fractional quantity
    public void Graduated_boundaries(decimal q, decimal expected) => Assert.Equal(expected, Amount(new PriceSpec(ChargeModel.Graduated, Tiers: s_tiers), q));

    [Theory]
    [InlineData(1000, 10)]   // on the edge: the first tier prices all units
    [InlineData(1001, 8.008)]
    [InlineData(0, 0)]
    [InlineData(10000, 80)]
    public void Volume_boundaries(decimal q, decimal expected) => Assert.Equal(expected, Amount(new PriceSpec(ChargeModel.Volume, Tiers: s_tiers), q));

    [Theory]
    [InlineData(0, 5)]       // the first tier's flat fee is due even at zero
    [InlineData(100, 5)]     // free units inside the first tier
    [InlineData(101, 17.5)]  // reaching into tier 2 adds its flat fee
    [InlineData(201, 42.5)]  // 5 + 101 × 0.25 + 12.25
    public void Graduated_flat_fees_and_free_first_tier(decimal q, decimal expected)
    {
        PriceTier[] tiers = [new(100, 0, 5), new(null, 0.25m, 12.25m)];
        Assert.Equal(expected, Amount(new PriceSpec(ChargeModel.Graduated, Tiers: tiers), q));
    }

    [Fact]
    public void Volume_at_zero_takes_the_first_tier_with_its_flat_fee()
        => Assert.Equal(5m, Amount(new PriceSpec(ChargeModel.Volume, Tiers: [new(100, 1, 5), new(null, 0.5m, 0)]), 0));

    [Fact]
    public void Percentage_of_the_sum_plus_fees_per_event()
    {
        var spec = new PriceSpec(ChargeModel.Percentage, Rate: 2.5m, FixedFeePerEvent: 0.30m, FreeUnits: 1000, FreeEvents: 4);
        // (10,000 − 1,000) × 2.5 / 100 = 225; (10 − 4) × 0.30 = 1.80.
        Assert.Equal(226.80m, Amount(spec, 10000, 10));
        Assert.Equal(0m, Amount(spec, 500, 3));
    }

    [Fact]
    public void Flat_breakdown_is_one_line_holding_the_amount_as_a_flat_fee()
    {
        Charge charge = ChargeModels.Price(new PriceSpec(ChargeModel.Flat, Amount: 99.00m), 7);
        Assert.Equal(99.00m, charge.Amount);
        Assert.Equal([new ChargeLine(0, null, 7, 0, 99.00m, 99.00m)], charge.Breakdown);
    }

    [Fact]
    public void Per_unit_breakdown_is_one_line_of_all_the_units()
    {
        Charge charge = ChargeModels.Price(new PriceSpec(ChargeModel.PerUnit, UnitPrice: 0.002m), 15000);
        Assert.Equal([new ChargeLine(0, null, 15000, 0.002m, 0, 30.00m)], charge.Breakdown);
    }

    [Fact]
    public void Graduated_breakdown_stops_at_the_tier_the_quantity_ends_in()
    {
        // Exactly on the first edge: no zero line for the second tier.
        Assert.Equal([new ChargeLine(0, 1000, 1000, 0.01m, 0, 10.00m)], ChargeModels.Price(new PriceSpec(ChargeModel.Graduated, Tiers: s_tiers), 1000).Breakdown);
        Assert.Equal([new ChargeLine(0, 1000, 0, 0.01m, 0, 0)], ChargeModels.Price(new PriceSpec(ChargeModel.Graduated, Tiers: s_tiers), 0).Breakdown);
    }

    [Fact]
    public void Graduated_breakdown_carries_each_tiers_flat_fee()
    {
        PriceTier[] tiers = [new(100, 0, 5), new(null, 0.25m, 12.25m)];
        Charge charge = ChargeModels.Price(new PriceSpec(ChargeModel.Graduated, Tiers: tiers), 201);
        Assert.Equal(42.50m, charge.Amount);
        Assert.Equal([new ChargeLine(0, 100, 100, 0, 5, 5), new ChargeLine(100, null, 101, 0.25m, 12.25m, 37.50m)], charge.Breakdown);
    }

    [Theory]
    [InlineData(1001, 1000, 10000, 0.008, 8.008)]
    [InlineData(15000, 10000, null, 0.005, 75)]
    [InlineData(500, 0, 1000, 0.01, 5)]
    public void Volume_breakdown_is_the_one_tier_that_prices_all_units(decimal q, decimal from, int? to, decimal unitPrice, decimal amount)
    {
        Charge charge = ChargeModels.Price(new PriceSpec(ChargeModel.Volume, Tiers: s_tiers), q);
        Assert.Equal(amount, charge.Amount);
        Assert.Equal([new ChargeLine(from, to, q, unitPrice, 0, amount)], charge.Breakdown);
    }

    [Fact]
    public void Volume_breakdown_keeps_the_flat_fee()
        => Assert.Equal([new ChargeLine(0, 100, 0, 1, 5, 5)], ChargeModels.Price(new PriceSpec(ChargeModel.Volume, Tiers: [new(100, 1, 5), new(null, 0.5m, 0)]), 0).Breakdown);

    [Fact]
    public void Volume_beyond_a_bounded_last_tier_is_refused()
    {
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => ChargeModels.Price(new PriceSpec(ChargeModel.Volume, Tiers: [new(100, 1, 0)]), 101));
        Assert.Equal("The last tier must have no upper bound.", error.Message);
    }

    [Fact]
    public void Package_without_overage_breakdown_is_the_billable_units_as_whole_packages()
    {
        // 1,350 − 100 free = 1,250 billable → 2 packages of 1,000 at 50.
        Charge charge = ChargeModels.Price(new PriceSpec(ChargeModel.Package, PackageSize: 1000, PackagePrice: 50, FreeUnits: 100), 1350);
        Assert.Equal(100m, charge.Amount);
        Assert.Equal([new ChargeLine(100, null, 1250, 0, 100, 100)], charge.Breakdown);
    }

    [Fact]
    public void Package_with_overage_inside_the_free_units_shows_the_package_at_no_charge()
    {
        Charge charge = ChargeModels.Price(s_packageWithOverage, 50);
        Assert.Equal(0m, charge.Amount);
        Assert.Equal([new ChargeLine(100, 1100, 0, 0, 50, 0)], charge.Breakdown);
    }

    [Fact]
    public void Package_with_overage_inside_the_package_is_one_line()
    {
        Charge charge = ChargeModels.Price(s_packageWithOverage, 900);
        Assert.Equal(50m, charge.Amount);
        Assert.Equal([new ChargeLine(100, 1100, 800, 0, 50, 50)], charge.Breakdown);
    }

    [Fact]
    public void Package_with_overage_beyond_the_package_adds_an_overage_line()
    {
        // 1,350 − 100 free = 1,250: the package covers 1,000, 250 over at 0.06 = 15.
        Charge charge = ChargeModels.Price(s_packageWithOverage, 1350);
        Assert.Equal(65.00m, charge.Amount);
        Assert.Equal([new ChargeLine(100, 1100, 1000, 0, 50, 50), new ChargeLine(1100, null, 250, 0.06m, 0, 15.00m)], charge.Breakdown);
    }

    [Fact]
    public void Percentage_breakdown_has_the_rate_as_a_fraction_and_the_fee_per_event()
    {
        var spec = new PriceSpec(ChargeModel.Percentage, Rate: 2.5m, FixedFeePerEvent: 0.30m, FreeUnits: 1000, FreeEvents: 4);
        Charge charge = ChargeModels.Price(spec, 10000, 10);
        Assert.Equal([new ChargeLine(1000, null, 9000, 0.025m, 0, 225.00m), new ChargeLine(4, null, 6, 0.30m, 0, 1.80m)], charge.Breakdown);
        Assert.Equal([new ChargeLine(1000, null, 0, 0.025m, 0, 0), new ChargeLine(4, null, 0, 0.30m, 0, 0)], ChargeModels.Price(spec, 500, 3).Breakdown);
    }
}
