using Metering.Gateway.Billing;
using Metering.Gateway.Infrastructure;
using Metering.Gateway.Quotas;
using Metering.Gateway.Usage;
using Metering.Grains.Catalog;
using Metering.Grains.Quotas;
using Metering.Grains.Usage;
using Metering.Runtime;
using Metering.Silo.Billing;
using Metering.Silo.Catalog;
using Metering.Silo.Usage;

namespace Metering.Gateway.Dashboard;

/// <summary>One subscription as the dashboard opens it: usage of every meter in the current period with hourly windows, its
/// quotas with what remains and when they reset, and its latest invoices. Read for one tenant only: the caller names the
/// tenant (a tenant key's own, or the one an admin chose), so another tenant's subscription is simply not found.</summary>
public sealed class SubscriptionOverview(CatalogStore catalog, UsageReader usage, IQuotaStore quotas, IGrainFactory grains, BillingStore billing)
{
    public const int LatestInvoices = 5;

    public async Task<SubscriptionOverviewJson?> ReadAsync(string tenant, string subscriptionId, CancellationToken ct)
    {
        Subscription? subscription = await catalog.GetSubscriptionAsync(tenant, subscriptionId, ct);
        if (subscription is null)
        {
            return null;
        }

        BillingPeriod period = subscription.PeriodAt(catalog.Now);
        (DateTimeOffset from, DateTimeOffset to) = period.UsageHours;
        var meters = new List<UsageJson>();
        foreach (Meter meter in (await catalog.GetMetersAsync(tenant, ct)).Meters.OrderBy(m => m.Code, StringComparer.Ordinal))
        {
            UsageResult result = await usage.ReadAsync(tenant, subscription.Id, meter, new UsageQuery(meter.Code, from, to, UsageWindow.Hour, []), ct);
            meters.Add(UsageJson.Of(result));
        }

        var quotaViews = new List<QuotaJson>();
        foreach (string meter in (await quotas.ListMetersAsync(tenant, subscription.Id, ct)).Order(StringComparer.Ordinal))
        {
            if (await grains.GetGrain<IQuotaGrain>(QuotaKey.Of(tenant, subscription.Id, meter)).CheckAsync(0) is { } view)
            {
                quotaViews.Add(QuotaJson.Of(subscription.Id, view));
            }
        }

        IReadOnlyList<Invoice> invoices = await billing.RecentInvoicesAsync(tenant, subscription.Id, LatestInvoices, ct);
        return new SubscriptionOverviewJson(tenant, subscription.Id, subscription.CustomerId, subscription.PlanCode, subscription.Subjects,
            Wire.Time(period.Start), Wire.Time(period.End), meters, quotaViews, [.. invoices.Select(InvoiceJson.Of)]);
    }
}
