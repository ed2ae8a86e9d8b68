using System.Text.Json;
using Metering.Grains.Audit;
using Metering.Grains.Catalog;
using Metering.Grains.Subscriptions;
using Metering.Runtime;
using Metering.Silo.Billing;
using Metering.Silo.Catalog;

namespace Metering.Silo.Subscriptions;

/// <summary>Ends subscriptions. The subscription grain decides the end against ingest (one turn) and writes it with its effects
/// in one transaction; this service then prices again the draft invoice the end cut, and audits the change.</summary>
public sealed class SubscriptionLifecycleService(CatalogStore catalog, InvoiceService invoices, IGrainFactory grains, IAuditLog audit, TimeProvider time)
{
    public const string CanceledAction = "subscription.canceled";

    /// <summary>Cancels; null when the subscription does not exist. The outcome's subscription is as it is after the cancel.</summary>
    public async Task<(CancelOutcome Outcome, Subscription? After)?> CancelAsync(string tenant, string subscriptionId, CancelAt at, CancellationToken ct = default)
    {
        Subscription? before = await catalog.ReadSubscriptionAsync(tenant, subscriptionId, ct).ConfigureAwait(false);
        if (before is null)
        {
            return null;
        }

        DateTimeOffset now = time.GetUtcNow();
        DateTimeOffset end = at.Mode switch
        {
            CancelMode.Now => now,
            CancelMode.PeriodEnd => before.PeriodAt(now).End,
            _ => at.Instant!.Value,
        };
        CancelOutcome outcome = await grains.GetGrain<ISubscriptionGrain>(SubscriptionKey.Of(tenant, subscriptionId))
            .CancelAsync(new CancelRequest(end, at.Mode == CancelMode.Now, now)).ConfigureAwait(false);
        catalog.Forget(tenant, subscriptionId, before.Subjects);
        if (outcome.Status != CancelStatus.Canceled)
        {
            return (outcome, before);
        }

        foreach (Guid cut in outcome.Reshaped)
        {
            await invoices.RefreshAsync(tenant, cut, ct).ConfigureAwait(false);
        }

        Subscription after = (await catalog.ReadSubscriptionAsync(tenant, subscriptionId, ct).ConfigureAwait(false))!;
        audit.Record(new AuditEntry(tenant, time.GetUtcNow(), CanceledAction, "api", subscriptionId, JsonSerializer.Serialize(new
        {
            before = new { ended_at = before.EndedAt, revision = before.Revision },
            after = new { ended_at = after.EndedAt, revision = after.Revision },
            mode = at.Mode.ToString().ToLowerInvariant(),
            invoices_cut = outcome.Reshaped,
            invoices_voided = outcome.Voided,
        })));
        return (outcome, after);
    }
}
