using System.Text.Json;
using Metering.Grains.Audit;
using Metering.Grains.Catalog;
using Metering.Grains.Subscriptions;
using Metering.Runtime;
using Metering.Silo.Billing;
using Metering.Grains.Quotas;
using Metering.Silo.Catalog;
using Metering.Silo.Quotas;

namespace Metering.Silo.Subscriptions;

/// <summary>Ends subscriptions. The subscription grain decides the end against ingest (one turn) and writes it with its effects
/// in one transaction; this service then prices again the draft invoice the end cut, and audits the change.</summary>
public sealed class SubscriptionLifecycleService(CatalogStore catalog, InvoiceService invoices, BillingStore billing, SubscriptionLifecycleStore store,
    PostgresQuotaStore quotas, IGrainFactory grains, IAuditLog audit, TimeProvider time)
{
    public const string CanceledAction = "subscription.canceled";
    public const string PlanChangedAction = "subscription.plan_changed";
    public const string PlanMigratedAction = "plan.migrated";
    public const string SubjectAddedAction = "subscription.subject_added";
    public const string SubjectRemovedAction = "subscription.subject_removed";

    /// <summary>Adds (<paramref name="add"/>) or removes a subject at <paramref name="at"/> (null: now) through the subscription's
    /// grain, and audits the subject's holds before and after. Null when the subscription does not exist.</summary>
    public async Task<(SubjectChangeOutcome Outcome, IReadOnlyList<HeldSubject> Held)?> ChangeSubjectAsync(string tenant, string subscriptionId, string subject, bool add,
        DateTimeOffset? at, CancellationToken ct = default)
    {
        if (await catalog.ReadSubscriptionAsync(tenant, subscriptionId, ct).ConfigureAwait(false) is null)
        {
            return null;
        }

        IReadOnlyList<HeldSubject> before = await store.HeldSubjectsAsync(tenant, subscriptionId, ct).ConfigureAwait(false);
        var change = new SubjectChange(subject, at ?? time.GetUtcNow(), at is null);
        ISubscriptionGrain grain = grains.GetGrain<ISubscriptionGrain>(SubscriptionKey.Of(tenant, subscriptionId));
        SubjectChangeOutcome outcome = add ? await grain.AddSubjectAsync(change).ConfigureAwait(false) : await grain.RemoveSubjectAsync(change).ConfigureAwait(false);
        catalog.Forget(tenant, subscriptionId, [subject]);
        IReadOnlyList<HeldSubject> after = await store.HeldSubjectsAsync(tenant, subscriptionId, ct).ConfigureAwait(false);
        if (outcome.Status == SubjectChangeStatus.Done)
        {
            audit.Record(new AuditEntry(tenant, time.GetUtcNow(), add ? SubjectAddedAction : SubjectRemovedAction, "api", subscriptionId, JsonSerializer.Serialize(new
            {
                subject,
                at = outcome.At,
                before = before.Where(h => h.Subject == subject).Select(h => new { from = Bound(h.From), to = Bound(h.To) }),
                after = after.Where(h => h.Subject == subject).Select(h => new { from = Bound(h.From), to = Bound(h.To) }),
            })));
        }

        return (outcome, after);
    }

    private static DateTimeOffset? Bound(DateTimeOffset at) => at == DateTimeOffset.MinValue || at == DateTimeOffset.MaxValue ? null : at;

    /// <summary>Moves a subscription to another plan of the same currency and interval. Usage before the change is priced on the
    /// old plan's book, after it on the new one, in one invoice per period; drafts the change reaches are priced again.</summary>
    public async Task<PlanChangeOutcome> ChangePlanAsync(string tenant, string subscriptionId, PlanChangeRequest request, CancellationToken ct = default)
    {
        Subscription? before = await catalog.ReadSubscriptionAsync(tenant, subscriptionId, ct).ConfigureAwait(false);
        if (before is null)
        {
            return new PlanChangeOutcome(PlanChangeResult.SubscriptionNotFound);
        }

        DateTimeOffset now = time.GetUtcNow();
        DateTimeOffset at = request.At ?? (request.AtPeriodEnd ? before.PeriodAt(now).End : NextHour(now));
        if (at <= before.StartedAt)
        {
            return new PlanChangeOutcome(PlanChangeResult.BeforeStart);
        }

        Plan? plan = await catalog.GetPlanAsync(tenant, request.PlanCode, ct).ConfigureAwait(false);
        Plan? current = await catalog.GetPlanVersionAsync(tenant, before.PlanRefAt(at), ct).ConfigureAwait(false);
        if (plan is null || current is null)
        {
            return new PlanChangeOutcome(PlanChangeResult.PlanNotFound);
        }

        if (plan.Ref == current.Ref)
        {
            return new PlanChangeOutcome(PlanChangeResult.SamePlan);
        }

        if (plan.Currency != current.Currency || plan.Interval != current.Interval)
        {
            return new PlanChangeOutcome(PlanChangeResult.PlanNotCompatible);
        }

        (PlanChangeStatus status, IReadOnlyList<Guid> drafts) = await store.ChangePlanAsync(tenant, subscriptionId, plan.Ref, at, now, cancellationToken: ct).ConfigureAwait(false);
        catalog.Forget(tenant, subscriptionId, []);
        if (status != PlanChangeStatus.Changed)
        {
            return new PlanChangeOutcome(status == PlanChangeStatus.Ended ? PlanChangeResult.Ended : PlanChangeResult.PeriodClosed);
        }

        foreach (Guid draft in drafts)
        {
            await invoices.RefreshAsync(tenant, draft, ct).ConfigureAwait(false);
        }

        IReadOnlyList<string> reset = at > NextHour(now) ? [] : await ResetQuotasAsync(tenant, subscriptionId, plan, request.ResetQuotas, at, ct).ConfigureAwait(false);
        Subscription after = (await catalog.ReadSubscriptionAsync(tenant, subscriptionId, ct).ConfigureAwait(false))!;
        audit.Record(new AuditEntry(tenant, time.GetUtcNow(), PlanChangedAction, "api", subscriptionId, JsonSerializer.Serialize(new
        {
            before = new { plan = current.Code, version = current.Version, revision = before.Revision },
            after = new { plan = plan.Code, version = plan.Version, revision = after.Revision },
            at,
            quotas_reset = reset,
            invoices_repriced = drafts,
        })));
        return new PlanChangeOutcome(PlanChangeResult.Changed, after, at, reset);
    }

    /// <summary>Moves every subscription on an earlier version of <paramref name="code"/> to its latest version at the end of the
    /// subscription's current period (its quotas carry over: the plan's meters are the same). A subscription on another plan
    /// then, ending by then, or with a change scheduled after it, is left as it is. Null when there is no such plan.</summary>
    public async Task<PlanMigration?> MigrateAsync(string tenant, string code, CancellationToken ct = default)
    {
        if (await catalog.GetPlanAsync(tenant, code, ct).ConfigureAwait(false) is not { } plan)
        {
            return null;
        }

        DateTimeOffset now = time.GetUtcNow();
        var moved = new List<MigratedSubscription>();
        foreach (Subscription subscription in await catalog.SubscriptionsOnPlanAsync(tenant, code, now, ct).ConfigureAwait(false))
        {
            DateTimeOffset at = subscription.PeriodAt(now).End;
            PlanRef from = subscription.PlanRefAt(at);
            if (from.Code != code || from.Version >= plan.Version || subscription.HasEndedBy(at))
            {
                continue;
            }

            (PlanChangeStatus status, _) = await store.ChangePlanAsync(tenant, subscription.Id, plan.Ref, at, now, from, ct).ConfigureAwait(false);
            catalog.Forget(tenant, subscription.Id, []);
            if (status == PlanChangeStatus.Changed)
            {
                moved.Add(new MigratedSubscription(subscription.Id, from.Version, at));
            }
        }

        audit.Record(new AuditEntry(tenant, time.GetUtcNow(), PlanMigratedAction, "api", code, JsonSerializer.Serialize(new
        {
            before = moved.Select(m => new { subscription_id = m.SubscriptionId, version = m.FromVersion }),
            after = new { version = plan.Version, at = moved.Select(m => new { subscription_id = m.SubscriptionId, m.At }) },
        })));
        return new PlanMigration(plan, moved);
    }

    /// <summary>Resets the quotas the change asks for (all, or those on meters the new plan does not price): credits get their
    /// limit back as balance. Returns their meters.</summary>
    private async Task<IReadOnlyList<string>> ResetQuotasAsync(string tenant, string subscriptionId, Plan plan, bool all, DateTimeOffset at, CancellationToken ct)
    {
        HashSet<string> priced = [.. (await billing.PricesInForceAsync(tenant, plan.Code, at, ct).ConfigureAwait(false)).Select(p => p.MeterCode)];
        var reset = new List<string>();
        foreach (string meter in await quotas.ListMetersAsync(tenant, subscriptionId, ct).ConfigureAwait(false))
        {
            IQuotaGrain quota = grains.GetGrain<IQuotaGrain>(QuotaKey.Of(tenant, subscriptionId, meter));
            if ((all || !priced.Contains(meter)) && await quota.CheckAsync(0).ConfigureAwait(false) is { } view)
            {
                await quota.SetAsync(view.Definition).ConfigureAwait(false);
                reset.Add(meter);
            }
        }

        return reset;
    }

    private static DateTimeOffset NextHour(DateTimeOffset now)
    {
        DateTimeOffset hour = new(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);
        return hour == now ? hour : hour.AddHours(1);
    }

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
