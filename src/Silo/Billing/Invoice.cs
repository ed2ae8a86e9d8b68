using Metering.Grains.Pricing;
using Metering.Runtime;

namespace Metering.Silo.Billing;

public sealed record Invoice(
    Guid Id,
    string SubscriptionId,
    string CustomerId,
    string PlanCode,
    string Currency,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    InvoiceStatus Status,
    string Kind,
    Guid? Adjusts,
    InvoiceTotals Totals,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinalizedAt,
    DateTimeOffset? VoidedAt);
