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
    public string Invoice(Invoice invoice) => JsonSerializer.Serialize(InvoiceJson.Of(invoice), Wire.Json);

    public string Quota(string subscriptionId, QuotaView view) => JsonSerializer.Serialize(QuotaJson.Of(subscriptionId, view), Wire.Json);

    public string BillingRun(BillingRun run) => JsonSerializer.Serialize(BillingRunJson.Of(run), Wire.Json);

    public string Rerating(ReratingJob job) => JsonSerializer.Serialize(ReratingJobJson.Of(job), Wire.Json);
}
