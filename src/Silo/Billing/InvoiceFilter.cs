using Metering.Grains.Pricing;

namespace Metering.Silo.Billing;

/// <summary>Which invoices a list shows: each field set narrows it (periods: start at or after <see cref="PeriodFrom"/>, end at
/// or before <see cref="PeriodTo"/>).</summary>
public sealed record InvoiceFilter(string? SubscriptionId = null, string? CustomerId = null, InvoiceStatus? Status = null, DateTimeOffset? PeriodFrom = null, DateTimeOffset? PeriodTo = null);
