using Metering.Gateway.Billing;
using Metering.Gateway.Quotas;
using Metering.Gateway.Usage;

namespace Metering.Gateway.Dashboard;

/// <summary>One subscription as the dashboard opens it: usage of every meter this period (hourly windows), its quotas and
/// its latest invoices.</summary>
public sealed record SubscriptionOverviewJson(
    string TenantId,
    string SubscriptionId,
    string CustomerId,
    string Plan,
    IReadOnlyList<string> Subjects,
    string PeriodStart,
    string PeriodEnd,
    IReadOnlyList<UsageJson> Meters,
    IReadOnlyList<QuotaJson> Quotas,
    IReadOnlyList<InvoiceJson> Invoices);
