using Metering.Grains.Pricing;

namespace Metering.UnitTests.Pricing;

public sealed class InvoiceCalculatorTests
{
    private static readonly PriceSpec s_perUnit = new(ChargeModel.PerUnit, UnitPrice: 0.01m);

    private static LineItem Meter(string meter, decimal quantity, decimal amount)
        => new(meter, $"{meter} (per_unit)", "per_unit", quantity, amount, [new ChargeLine(0, null, quantity, 0.01m, 0, amount)]);

    private static LineItem FixedFee(decimal amount) => new(null, "Plan pro: fixed fee", "flat", 1, amount, [new ChargeLine(0, null, 1, 0, amount, amount)]);

    private static void AssertLine(LineItem actual, string? meter, string description, string model, decimal quantity, decimal amount, IEnumerable<ChargeLine> breakdown)
    {
        Assert.Equal(meter, actual.Meter);
        Assert.Equal(description, actual.Description);
        Assert.Equal(model, actual.Model);
        Assert.Equal(quantity, actual.Quantity);
        Assert.Equal(amount, actual.Amount);
        Assert.Equal(breakdown, actual.Breakdown);
    }

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
        Assert.Equal(0.20m, totals.TaxRate);
        Assert.Equal(19.86m, totals.Tax); // 19.862 → 19.86
        Assert.Equal(119.17m, totals.Total);
    }

    [Fact]
    public void The_fixed_fee_line_is_rounded_and_keeps_the_exact_fee_in_its_breakdown()
    {
        InvoiceTotals totals = InvoiceCalculator.Build("pro", 9.999m, "USD", 0, []);
        LineItem line = Assert.Single(totals.Lines);
        AssertLine(line, null, "Plan pro: fixed fee", "flat", 1, 10.00m, [new ChargeLine(0, null, 1, 0, 9.999m, 9.999m)]);
        Assert.Equal(10.00m, totals.Subtotal);
        Assert.Equal(0m, totals.Tax);
        Assert.Equal(10.00m, totals.Total);
    }

    [Fact]
    public void A_meter_line_holds_the_usage_its_rounded_charge_and_the_unrounded_breakdown()
    {
        var graduated = new PriceSpec(ChargeModel.Graduated, Tiers: [new(10, 0.125m, 0), new(null, 0.0625m, 1)]);
        InvoiceTotals totals = InvoiceCalculator.Build("basic", 0, "JPY", 0.10m, [new MeterUsage("api_calls", graduated, 20, 20)]);
        // 10 × 0.125 + (10 × 0.0625 + 1) = 2.875 → 3 yen; tax 0.3 → 0.
        LineItem line = Assert.Single(totals.Lines);
        AssertLine(line, "api_calls", "api_calls (graduated)", "graduated", 20, 3m,
            [new ChargeLine(0, 10, 10, 0.125m, 0, 1.25m), new ChargeLine(10, null, 10, 0.0625m, 1, 1.625m)]);
        Assert.Equal(3m, totals.Subtotal);
        Assert.Equal(0m, totals.Tax);
        Assert.Equal(3m, totals.Total);
    }

    [Fact]
    public void Meter_lines_are_in_ordinal_order_of_the_meter()
    {
        InvoiceTotals totals = InvoiceCalculator.Build("pro", 0, "USD", 0,
            [new MeterUsage("b", s_perUnit, 1, 1), new MeterUsage("a", s_perUnit, 1, 1), new MeterUsage("C", s_perUnit, 1, 1)]);
        Assert.Equal(["C", "a", "b"], totals.Lines.Select(l => l.Meter));
    }

    [Fact]
    public void Totals_tax_the_subtotal_of_the_rounded_lines_in_the_currency()
    {
        InvoiceTotals totals = InvoiceCalculator.Totals([FixedFee(100.10m), Meter("a", 5, 0.05m)], "USD", 0.175m);
        Assert.Equal(100.15m, totals.Subtotal);
        Assert.Equal(17.53m, totals.Tax); // 17.52625
        Assert.Equal(117.68m, totals.Total);
        Assert.Equal(0.175m, totals.TaxRate);
        Assert.Equal(2, totals.Lines.Count);
    }

    [Fact]
    public void Adjustment_holds_the_difference_per_line()
    {
        InvoiceTotals billed = InvoiceCalculator.Build("pro", 10, "USD", 0.10m, [new MeterUsage("a", s_perUnit, 100, 1)]);
        InvoiceTotals due = InvoiceCalculator.Build("pro", 10, "USD", 0.10m, [new MeterUsage("a", s_perUnit, 100, 1), new MeterUsage("b", s_perUnit, 500, 5)]);
        InvoiceTotals adjustment = InvoiceCalculator.Adjustment(billed.Lines, due, "USD");
        LineItem line = Assert.Single(adjustment.Lines);
        AssertLine(line, "b", "Adjustment: b (per_unit)", "per_unit", 500, 5.00m, due.Lines[2].Breakdown);
        Assert.Equal(5.00m, adjustment.Subtotal);
        Assert.Equal(0.50m, adjustment.Tax);
        Assert.Equal(5.50m, adjustment.Total);
        Assert.Empty(InvoiceCalculator.Adjustment(due.Lines, due, "USD").Lines);
    }

    [Fact]
    public void Adjustment_sums_what_was_billed_for_a_meter_including_earlier_adjustments()
    {
        // Billed: the invoice (a: 100 units, 1.00) and an earlier adjustment (a: +20 units, +0.20). Due now: a at 150 units.
        LineItem[] billed = [FixedFee(10), Meter("a", 100, 1.00m), Meter("b", 50, 0.50m), Meter("a", 20, 0.20m)];
        InvoiceTotals due = InvoiceCalculator.Totals([FixedFee(10), Meter("a", 150, 1.50m), Meter("b", 50, 0.50m)], "USD", 0.10m);
        InvoiceTotals adjustment = InvoiceCalculator.Adjustment(billed, due, "USD");
        LineItem line = Assert.Single(adjustment.Lines);
        AssertLine(line, "a", "Adjustment: a (per_unit)", "per_unit", 30, 0.30m, due.Lines[1].Breakdown);
        Assert.Equal(0.30m, adjustment.Subtotal);
        Assert.Equal(0.03m, adjustment.Tax);
        Assert.Equal(0.33m, adjustment.Total);
    }

    [Fact]
    public void Adjustment_of_a_lower_usage_is_negative()
    {
        InvoiceTotals due = InvoiceCalculator.Totals([Meter("a", 40, 0.40m)], "USD", 0);
        LineItem line = Assert.Single(InvoiceCalculator.Adjustment([Meter("a", 100, 1.00m)], due, "USD").Lines);
        AssertLine(line, "a", "Adjustment: a (per_unit)", "per_unit", -60, -0.60m, due.Lines[0].Breakdown);
    }

    [Fact]
    public void Adjustment_credits_a_fixed_fee_and_meters_no_longer_due_in_key_order()
    {
        LineItem[] billed = [FixedFee(10), Meter("c", 10, 0.10m), Meter("a", 100, 1.00m), Meter("B", 7, 0.07m)];
        InvoiceTotals due = InvoiceCalculator.Totals([Meter("a", 100, 1.00m), Meter("d", 3, 0.03m)], "JPY", 0.50m);
        InvoiceTotals adjustment = InvoiceCalculator.Adjustment(billed, due, "JPY");
        Assert.Equal(4, adjustment.Lines.Count);
        // The fixed fee (key "") first, then the meters in ordinal order; a line no longer due has no description or breakdown of its own.
        AssertLine(adjustment.Lines[0], null, "Adjustment: ", "adjustment", -1, -10m, []);
        AssertLine(adjustment.Lines[1], "B", "Adjustment: B", "adjustment", -7, -0.07m, []);
        AssertLine(adjustment.Lines[2], "c", "Adjustment: c", "adjustment", -10, -0.10m, []);
        AssertLine(adjustment.Lines[3], "d", "Adjustment: d (per_unit)", "per_unit", 3, 0.03m, due.Lines[1].Breakdown);
        Assert.Equal(-10.14m, adjustment.Subtotal);
        Assert.Equal(0.50m, adjustment.TaxRate);
        Assert.Equal(-5m, adjustment.Tax); // −5.07 rounded to whole yen
        Assert.Equal(-15.14m, adjustment.Total);
    }

    [Fact]
    public void Adjustment_adds_a_fixed_fee_now_due()
    {
        InvoiceTotals due = InvoiceCalculator.Totals([FixedFee(25), Meter("a", 100, 1.00m)], "USD", 0);
        LineItem line = Assert.Single(InvoiceCalculator.Adjustment([Meter("a", 100, 1.00m)], due, "USD").Lines);
        AssertLine(line, null, "Adjustment: Plan pro: fixed fee", "flat", 1, 25m, due.Lines[0].Breakdown);
    }
}
