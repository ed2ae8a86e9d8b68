using Metering.Grains.Quotas;
using Metering.Silo.Billing;

namespace Metering.Silo.Webhooks;

/// <summary>Resources as the API shows them (JSON text), for the <c>data</c> of notifications: the host that serves the API
/// supplies its own shapes, so a notification and a GET of the same resource read alike.</summary>
public interface IResourceJson
{
    string Invoice(Invoice invoice);

    string Quota(string subscriptionId, QuotaView view);

    string BillingRun(BillingRun run);

    string Rerating(ReratingJob job);
}
