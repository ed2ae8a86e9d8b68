using System.Globalization;
using System.Text.Json.Serialization;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Silo.Billing;

namespace Metering.Gateway.Billing;

/// <summary>An invoice as the API shows it: amounts rounded to the currency's minor unit; fields that do not apply are left out.</summary>
public sealed record InvoiceJson(
    Guid Id,
    string Kind,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? Adjusts,
    string SubscriptionId,
    string CustomerId,
    string Plan,
    string Currency,
    string PeriodStart,
    string PeriodEnd,
    string Status,
    IReadOnlyList<LineItemJson> LineItems,
    string Subtotal,
    string TaxRate,
    string Tax,
    string Total,
    string CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? FinalizedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? VoidedAt)
{
    public static InvoiceJson Of(Invoice invoice) => new(
        invoice.Id,
        invoice.Kind,
        invoice.Adjusts,
        invoice.SubscriptionId,
        invoice.CustomerId,
        invoice.PlanCode,
        invoice.Currency,
        Wire.Time(invoice.PeriodStart),
        Wire.Time(invoice.PeriodEnd),
        invoice.Status.ToWire(),
        [.. invoice.Totals.Lines.Select(l => new LineItemJson(l.Meter, l.Description, l.Model, Wire.Decimal(l.Quantity), Money(l.Amount, invoice.Currency),
            [.. l.Breakdown.Select(BreakdownJson.Of)]))],
        Money(invoice.Totals.Subtotal, invoice.Currency),
        Wire.Decimal(invoice.Totals.TaxRate),
        Money(invoice.Totals.Tax, invoice.Currency),
        Money(invoice.Totals.Total, invoice.Currency),
        Wire.Time(invoice.CreatedAt),
        Wire.Time(invoice.FinalizedAt),
        Wire.Time(invoice.VoidedAt));

    /// <summary>An amount with exactly the currency's minor digits.</summary>
    public static string Money(decimal amount, string currency)
        => amount.ToString("F" + Grains.Pricing.Money.MinorUnits(currency).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
