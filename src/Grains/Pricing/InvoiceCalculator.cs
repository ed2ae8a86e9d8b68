namespace Metering.Grains.Pricing;

/// <summary>How an invoice's figures follow from usage and prices (API.md, Invoices).</summary>
public static class InvoiceCalculator
{
    public static InvoiceTotals Build(string planCode, decimal fixedFee, string currency, decimal taxRate, IEnumerable<MeterUsage> usage)
        => Totals(Lines(planCode, fixedFee, currency, usage, string.Empty), currency, taxRate);

    /// <summary>The lines of one plan's part of a period: its fixed fee (when not zero) and each meter priced on its book.
    /// <paramref name="suffix"/> tells the parts of a period split by a plan change apart.</summary>
    public static IReadOnlyList<LineItem> Lines(string planCode, decimal fixedFee, string currency, IEnumerable<MeterUsage> usage, string suffix)
    {
        var lines = new List<LineItem>();
        if (fixedFee != 0)
        {
            lines.Add(new LineItem(null, $"Plan {planCode}: fixed fee{suffix}", ChargeModel.Flat.ToWire(), 1, Money.Round(fixedFee, currency),
                [new ChargeLine(0, null, 1, 0, fixedFee, fixedFee)]));
        }

        foreach (MeterUsage u in usage.OrderBy(u => u.Meter, StringComparer.Ordinal))
        {
            Charge charge = ChargeModels.Price(u.Price, u.Quantity, u.Events);
            lines.Add(new LineItem(u.Meter, $"{u.Meter} ({u.Price.Model.ToWire()}){suffix}", u.Price.Model.ToWire(), u.Quantity, Money.Round(charge.Amount, currency), charge.Breakdown));
        }

        return lines;
    }

    /// <summary>Subtotal is the sum of the rounded lines; tax = round(subtotal × rate); total = subtotal + tax.</summary>
    public static InvoiceTotals Totals(IReadOnlyList<LineItem> lines, string currency, decimal taxRate)
    {
        decimal subtotal = lines.Sum(l => l.Amount);
        decimal tax = Money.Round(subtotal * taxRate, currency);
        return new InvoiceTotals(lines, subtotal, taxRate, tax, subtotal + tax);
    }

    /// <summary>The adjustment from what was billed to what is due now: one line per meter (and fixed fee) whose amount
    /// changed, holding the difference.</summary>
    public static InvoiceTotals Adjustment(IReadOnlyList<LineItem> billed, InvoiceTotals due, string currency)
    {
        var lines = new List<LineItem>();
        var before = billed.GroupBy(l => l.Meter ?? string.Empty).ToDictionary(g => g.Key, g => (Quantity: g.Sum(l => l.Quantity), Amount: g.Sum(l => l.Amount)));
        // A period split by a plan change has a line per plan for one meter: each meter is compared as a whole.
        var after = due.Lines.GroupBy(l => l.Meter ?? string.Empty)
            .ToDictionary(g => g.Key, g => g.Count() == 1 ? g.Single() : g.First() with { Quantity = g.Sum(l => l.Quantity), Amount = g.Sum(l => l.Amount), Breakdown = [] });
        foreach (string key in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            (decimal q0, decimal a0) = before.GetValueOrDefault(key);
            LineItem? now = after.GetValueOrDefault(key);
            decimal difference = (now?.Amount ?? 0) - a0;
            if (difference != 0)
            {
                lines.Add(new LineItem(now?.Meter ?? (key.Length == 0 ? null : key), $"Adjustment: {now?.Description ?? key}", now?.Model ?? "adjustment",
                    (now?.Quantity ?? 0) - q0, difference, now?.Breakdown ?? []));
            }
        }

        return Totals(lines, currency, due.TaxRate);
    }
}
