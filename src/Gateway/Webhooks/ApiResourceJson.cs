using System.Text.Json;
using Metering.Gateway.Billing;
using Metering.Gateway.Infrastructure;
using Metering.Gateway.Quotas;
using Metering.Grains.Quotas;
using Metering.Silo.Billing;
using Metering.Silo.Webhooks;

namespace Metering.Gateway.Webhooks;

/// <summary>The data of notifications in the shapes the API answers with (one definition of each, in its API class).</summary>
public sealed class ApiResourceJson : IResourceJson
{
    public string Invoice(Invoice invoice) => JsonSerializer.Serialize(InvoicesApi.InvoiceJson(invoice), Wire.Compact);

    public string Quota(string subscriptionId, QuotaView view) => JsonSerializer.Serialize(QuotasApi.QuotaJson(subscriptionId, view), Wire.Compact);

    public string BillingRun(BillingRun run) => JsonSerializer.Serialize(InvoicesApi.BillingRunJson(run), Wire.Json);

    public string Rerating(ReratingJob job) => JsonSerializer.Serialize(InvoicesApi.ReratingJson(job), Wire.Json);
}
