namespace Metering.Grains.Pricing;

public sealed record InvoiceTotals(IReadOnlyList<LineItem> Lines, decimal Subtotal, decimal TaxRate, decimal Tax, decimal Total);
