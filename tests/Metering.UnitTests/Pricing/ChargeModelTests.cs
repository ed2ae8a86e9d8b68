using System.Text.Json;
using Metering.Grains;
using Metering.Grains.Pricing;

namespace Metering.UnitTests.Pricing;

public sealed class ChargeModelTests
{
    private static readonly PriceTier[] s_tiers = [new(1000, 0.01m, 0), new(10000, 0.008m, 0), new(null, 0.005m, 0)];

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

    [Theory]
    [InlineData(0.125, "USD", 0.13)]
    [InlineData(-0.125, "USD", -0.13)]
    [InlineData(0.124, "USD", 0.12)]
    [InlineData(12.5, "JPY", 13)]
    [InlineData(1.0005, "KWD", 1.001)]
    public void Money_rounds_half_away_from_zero_to_the_minor_unit(decimal amount, string currency, decimal expected)
        => Assert.Equal(expected, Money.Round(amount, currency));

    [Fact]
    public void Invoice_rounds_each_line_then_taxes_the_subtotal()
    {
        InvoiceTotals totals = InvoiceCalculator.Build("pro", 99.00m, "USD", 0.20m,
        [
            new MeterUsage("llm_tokens", new PriceSpec(ChargeModel.PerUnit, UnitPrice: 0.00002m), 15000, 10),
            new MeterUsage("calls", new PriceSpec(ChargeModel.PerUnit, UnitPrice: 0.0015m), 3, 3), // 0.0045 → 0.00
            new MeterUsage("storage", new PriceSpec(ChargeModel.PerUnit, UnitPrice: 0.005m), 1, 1), // 0.005 → 0.01
        ]);
        Assert.Equal(["Plan pro: fixed fee", "calls (per_unit)", "llm_tokens (per_unit)", "storage (per_unit)"], totals.Lines.Select(l => l.Description));
        Assert.Equal([99.00m, 0.00m, 0.30m, 0.01m], totals.Lines.Select(l => l.Amount));
        Assert.Equal(99.31m, totals.Subtotal);
        Assert.Equal(19.86m, totals.Tax); // 19.862 → 19.86
        Assert.Equal(119.17m, totals.Total);
    }

    [Fact]
    public void Adjustment_holds_the_difference_per_line()
    {
        var perUnit = new PriceSpec(ChargeModel.PerUnit, UnitPrice: 0.01m);
        InvoiceTotals billed = InvoiceCalculator.Build("pro", 10, "USD", 0.10m, [new MeterUsage("a", perUnit, 100, 1)]);
        InvoiceTotals due = InvoiceCalculator.Build("pro", 10, "USD", 0.10m, [new MeterUsage("a", perUnit, 100, 1), new MeterUsage("b", perUnit, 500, 5)]);
        InvoiceTotals adjustment = InvoiceCalculator.Adjustment(billed.Lines, due, "USD");
        LineItem line = Assert.Single(adjustment.Lines);
        Assert.Equal("b", line.Meter);
        Assert.Equal(5.00m, line.Amount);
        Assert.Equal(0.50m, adjustment.Tax);
        Assert.Equal(5.50m, adjustment.Total);
        Assert.Empty(InvoiceCalculator.Adjustment(due.Lines, due, "USD").Lines);
    }

    [Theory]
    [InlineData("graduated", """{"tiers":[{"up_to":1000,"unit_price":"0.01"},{"up_to":500,"unit_price":"0.01"},{"up_to":null,"unit_price":"0.005"}]}""", "tiers[1].up_to")]
    [InlineData("graduated", """{"tiers":[{"up_to":1000,"unit_price":"0.01"}]}""", "tiers[0].up_to")]
    [InlineData("volume", """{"tiers":[]}""", "tiers")]
    [InlineData("per_unit", """{}""", "unit_price")]
    [InlineData("per_unit", """{"unit_price":"-1"}""", "unit_price")]
    [InlineData("package", """{"package_size":0,"package_price":5}""", "package_size")]
    [InlineData("percentage", """{"rate":"abc"}""", "rate")]
    public void Invalid_properties_are_reported_by_field(string model, string properties, string field)
    {
        Assert.True(WireName.TryParseWire(model, out ChargeModel parsed));
        var errors = new Dictionary<string, string>();
        Assert.Null(ChargeModels.Parse(parsed, JsonDocument.Parse(properties).RootElement, errors));
        Assert.Contains(field, errors.Keys);
    }
}
