using Metering.Grains.Pricing;

namespace Metering.Silo.Billing;

/// <summary>What became of an invoice command: the invoice, or why not (and the existing invoice's id when the period has one).</summary>
public sealed record InvoiceOutcome(Invoice? Invoice, InvoiceFailure? Failure = null, string? Detail = null, Guid? ExistingId = null)
{
    public static InvoiceOutcome Problem(InvoiceFailure failure, string detail, Guid? existing = null) => new(null, failure, detail, existing);
}
