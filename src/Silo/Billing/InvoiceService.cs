using System.Collections.Concurrent;
using System.Text.Json;
using Metering.Grains;
using Metering.Grains.Audit;
using Metering.Grains.Catalog;
using Metering.Grains.Pricing;
using Metering.Grains.Subscriptions;
using Metering.Grains.Usage;
using Metering.Runtime;
using Metering.Silo.Catalog;
using Metering.Silo.Usage;

namespace Metering.Silo.Billing;


/// <summary>Invoices: generated exactly once per subscription period, refreshed while draft, finalized (closing the period
/// to late events), voided.</summary>
public sealed class InvoiceService(BillingStore store, CatalogStore catalog, UsageReader usage, UsageHistory history, IGrainFactory grains, IAuditLog audit, TimeProvider time)
{
    public async Task<InvoiceOutcome> CreateAsync(string tenant, string subscriptionId, DateTimeOffset? periodStart, CancellationToken ct = default)
    {
        Subscription? subscription = await catalog.GetSubscriptionAsync(tenant, subscriptionId, ct).ConfigureAwait(false);
        if (subscription is null)
        {
            return InvoiceOutcome.Problem(InvoiceFailure.NotFound, $"Subscription '{subscriptionId}' was not found.");
        }

        (BillingPeriod? period, string? problem) = PeriodToInvoice(subscription, periodStart, time.GetUtcNow());
        return period is { } found
            ? await CreateForPeriodAsync(tenant, subscription, found, null, ct).ConfigureAwait(false)
            : InvoiceOutcome.Problem(InvoiceFailure.InvalidPeriod, problem!);
    }

    /// <summary>The period an invoice request names: the one starting at <paramref name="periodStart"/> (cut where the subscription
    /// ends), or by default the last ended one.</summary>
    private static (BillingPeriod? Period, string? Problem) PeriodToInvoice(Subscription subscription, DateTimeOffset? periodStart, DateTimeOffset now)
    {
        if (periodStart is { } start)
        {
            if (subscription.EndedAt is { } end && start >= end)
            {
                return (null, $"'period_start' is at or after the subscription's end ({end:O}).");
            }

            BillingPeriod period = subscription.PeriodAt(start);
            if (period.Start != start)
            {
                return (null, $"'period_start' must be a period start of the subscription; the period containing it starts at {period.Start:O}.");
            }

            return start > now ? (null, "'period_start' is in the future: that period has not begun.") : (period, null);
        }

        if (subscription.HasEndedBy(now))
        {
            return (subscription.PeriodAt(now), null);
        }

        BillingPeriod current = subscription.PeriodAt(now);
        return current.Start <= subscription.StartedAt
            ? (null, "The subscription has no ended period yet; give 'period_start' to invoice the current one.")
            : (subscription.PeriodAt(current.Start.AddTicks(-1)), null);
    }

    /// <summary>Prices the period and inserts its invoice under the subscription's revision. When the subscription changed
    /// meanwhile (a cancel cut the period), it is read again and the period priced again as it now is.</summary>
    internal async Task<InvoiceOutcome> CreateForPeriodAsync(string tenant, Subscription subscription, BillingPeriod period, BillingCache? cache, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            (InvoiceTotals totals, Plan plan) = await ComputeAsync(tenant, subscription, period, cache, ct).ConfigureAwait(false);
            DateTimeOffset now = time.GetUtcNow();
            var invoice = new Invoice(Guid.NewGuid(), subscription.Id, subscription.CustomerId, plan.Code, plan.Currency, period.Start, period.End,
                InvoiceStatus.Draft, BillingStore.Standard, null, totals, now, null, null);
            Guid? existing = await store.InsertInvoiceAsync(tenant, invoice, subscription.Revision, ct).ConfigureAwait(false);
            if (existing is null)
            {
                Record(tenant, "invoice.created", invoice);
                return new InvoiceOutcome(invoice);
            }

            if (existing != BillingStore.StaleRevision)
            {
                return InvoiceOutcome.Problem(InvoiceFailure.AlreadyExists, $"Subscription '{subscription.Id}' has an invoice for the period starting {period.Start:O}.", existing);
            }

            Subscription? current = await catalog.ReadSubscriptionAsync(tenant, subscription.Id, ct).ConfigureAwait(false);
            if (attempt == 5)
            {
                throw new InvalidOperationException($"The invoice of subscription {subscription.Id} for {period.Start:O} kept meeting changes.");
            }

            if (current is null || (current.Revision == subscription.Revision && current.EndedAt == subscription.EndedAt))
            {
                // Same revision: the period's invoice was voided between the insert and the look-up; price it again.
                subscription = current ?? throw new InvalidOperationException($"Subscription {subscription.Id} is missing.");
                continue;
            }

            subscription = current;
            if (current.EndedAt is { } end && period.Start >= end)
            {
                return InvoiceOutcome.Problem(InvoiceFailure.SubscriptionEnded, $"Subscription '{current.Id}' ended at {end:O}, before the period starting {period.Start:O}.");
            }

            period = current.PeriodAt(period.Start);
        }
    }

    public Task<Invoice?> GetAsync(string tenant, Guid id, CancellationToken ct = default) => store.InvoiceAsync(tenant, id, ct);

    public Task<InvoiceOutcome> RefreshAsync(string tenant, Guid id, CancellationToken ct = default)
        => WithInvoiceAsync(tenant, id, invoice => RefreshAsync(tenant, invoice, ct), ct);

    private async Task<InvoiceOutcome> RefreshAsync(string tenant, Invoice invoice, CancellationToken ct)
    {
        if (invoice.Status != InvoiceStatus.Draft || invoice.Kind != BillingStore.Standard)
        {
            return InvoiceOutcome.Problem(InvoiceFailure.NotDraft, $"Invoice {invoice.Id} is {invoice.Status.ToWire()}; only standard drafts are regenerated.");
        }

        return await RecomputeAsync(tenant, invoice, InvoiceStatus.Draft, ct).ConfigureAwait(false);
    }

    /// <summary>Closes the period (the subscription refuses its events from now on and commits those already accepted), prices
    /// it one last time with everything accepted, and freezes the invoice.</summary>
    public Task<InvoiceOutcome> FinalizeAsync(string tenant, Guid id, CancellationToken ct = default)
        => WithInvoiceAsync(tenant, id, invoice => FinalizeAsync(tenant, invoice, ct), ct);

    private async Task<InvoiceOutcome> FinalizeAsync(string tenant, Invoice invoice, CancellationToken ct)
    {
        Guid id = invoice.Id;
        switch (invoice.Status)
        {
            case InvoiceStatus.Finalized:
                return new InvoiceOutcome(invoice);
            case InvoiceStatus.Voided:
                return InvoiceOutcome.Problem(InvoiceFailure.Voided, $"Invoice {id} is voided.");
        }

        FencingToken? fence = null;
        if (invoice.Kind == BillingStore.Standard)
        {
            if (!await store.SetStatusAsync(tenant, id, InvoiceStatus.Finalizing, [InvoiceStatus.Draft, InvoiceStatus.Finalizing], time.GetUtcNow(), ct).ConfigureAwait(false))
            {
                return await FinalizeAsync(tenant, id, ct).ConfigureAwait(false); // Changed meanwhile: answer from its new state.
            }

            fence = await grains.GetGrain<ISubscriptionGrain>(SubscriptionKey.Of(tenant, invoice.SubscriptionId)).ReloadClosedPeriodsAsync().ConfigureAwait(false);
            InvoiceOutcome priced = await RecomputeAsync(tenant, invoice with { Status = InvoiceStatus.Finalizing }, InvoiceStatus.Finalizing, ct).ConfigureAwait(false);
            if (priced.Invoice is null)
            {
                return priced;
            }

            invoice = priced.Invoice;
        }

        DateTimeOffset at = time.GetUtcNow();
        Invoice finalized = invoice with { Status = InvoiceStatus.Finalized, FinalizedAt = at };
        // Frozen only while the silo that closed the period still owns the subscription's partition; if it moved (or this
        // silo was paused past its lease meanwhile), the finalize starts again from what is stored, through the new owner.
        if (!await store.SetStatusAsync(tenant, id, InvoiceStatus.Finalized, [InvoiceStatus.Draft, InvoiceStatus.Finalizing], at, ct, fence, finalized).ConfigureAwait(false))
        {
            return await FinalizeAsync(tenant, id, ct).ConfigureAwait(false);
        }

        Record(tenant, "invoice.finalized", finalized);
        return new InvoiceOutcome(finalized);
    }

    public Task<InvoiceOutcome> VoidAsync(string tenant, Guid id, CancellationToken ct = default)
        => WithInvoiceAsync(tenant, id, invoice => VoidAsync(tenant, invoice, ct), ct);

    private async Task<InvoiceOutcome> VoidAsync(string tenant, Invoice invoice, CancellationToken ct)
    {
        Guid id = invoice.Id;
        if (invoice.Status == InvoiceStatus.Voided)
        {
            return new InvoiceOutcome(invoice);
        }

        DateTimeOffset at = time.GetUtcNow();
        Invoice voided = invoice with { Status = InvoiceStatus.Voided, VoidedAt = at };
        if (!await store.SetStatusAsync(tenant, id, InvoiceStatus.Voided, [InvoiceStatus.Draft, InvoiceStatus.Finalizing, InvoiceStatus.Finalized], at, ct, after: voided).ConfigureAwait(false))
        {
            return await VoidAsync(tenant, id, ct).ConfigureAwait(false);
        }

        if (invoice.Kind == BillingStore.Standard && invoice.Status != InvoiceStatus.Draft)
        {
            // The period is open again: its events are accepted, and a new invoice may be generated for it.
            await grains.GetGrain<ISubscriptionGrain>(SubscriptionKey.Of(tenant, invoice.SubscriptionId)).ReloadClosedPeriodsAsync().ConfigureAwait(false);
        }

        Record(tenant, "invoice.voided", voided);
        return new InvoiceOutcome(voided);
    }

    /// <summary>Re-rates a finalized invoice: the difference between what is due now and what was billed (with earlier
    /// adjustments) becomes an adjustment invoice; null when nothing changed.</summary>
    internal async Task<Invoice?> AdjustAsync(string tenant, Invoice invoice, CancellationToken ct)
    {
        InvoiceTotals due = await ComputeAsync(tenant, invoice, ct).ConfigureAwait(false);
        IReadOnlyList<Invoice> earlier = await store.AdjustmentsOfAsync(tenant, invoice.Id, ct).ConfigureAwait(false);
        List<LineItem> billed = [.. invoice.Totals.Lines, .. earlier.SelectMany(a => a.Totals.Lines)];
        InvoiceTotals difference = InvoiceCalculator.Adjustment(billed, due, invoice.Currency);
        if (difference.Lines.Count == 0)
        {
            return null;
        }

        var adjustment = new Invoice(Guid.NewGuid(), invoice.SubscriptionId, invoice.CustomerId, invoice.PlanCode, invoice.Currency, invoice.PeriodStart,
            invoice.PeriodEnd, InvoiceStatus.Draft, BillingStore.AdjustmentKind, invoice.Id, difference, time.GetUtcNow(), null, null);
        await store.InsertInvoiceAsync(tenant, adjustment, null, ct).ConfigureAwait(false);
        Record(tenant, "invoice.created", adjustment);
        return adjustment;
    }

    internal async Task<InvoiceOutcome> RecomputeAsync(string tenant, Invoice invoice, InvoiceStatus status, CancellationToken ct)
    {
        InvoiceTotals totals = await ComputeAsync(tenant, invoice, ct).ConfigureAwait(false);
        if (!await store.UpdateTotalsAsync(tenant, invoice.Id, totals, status, time.GetUtcNow(), ct).ConfigureAwait(false))
        {
            return InvoiceOutcome.Problem(InvoiceFailure.NotDraft, $"Invoice {invoice.Id} changed state meanwhile.");
        }

        return new InvoiceOutcome(invoice with { Totals = totals });
    }

    /// <summary>Prices an invoice's period again, as it stands now, at the tax rate the invoice was made with (a customer's new
    /// rate applies to invoices made after the change).</summary>
    private async Task<InvoiceTotals> ComputeAsync(string tenant, Invoice invoice, CancellationToken ct)
    {
        Subscription subscription = await catalog.GetSubscriptionAsync(tenant, invoice.SubscriptionId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Subscription {invoice.SubscriptionId} is missing.");
        return (await ComputeAsync(tenant, subscription, PeriodOf(subscription, invoice), null, ct, invoice.Totals.TaxRate).ConfigureAwait(false)).Totals;
    }

    /// <summary>The period an invoice bills, marked as the subscription's last when it ends where the subscription ended.</summary>
    private static BillingPeriod PeriodOf(Subscription subscription, Invoice invoice)
        => new(invoice.PeriodStart, invoice.PeriodEnd, subscription.EndedAt == invoice.PeriodEnd);

    /// <summary>The current period of a subscription and the usage of each meter its current plan's price book prices, as a
    /// draft invoice on that plan would price it now; nothing is stored.</summary>
    public async Task<PeriodUsage> CurrentUsageAsync(string tenant, Subscription subscription, CancellationToken ct = default)
    {
        BillingPeriod period = subscription.PeriodAt(time.GetUtcNow());
        PlanRef current = subscription.PlanRefAt(time.GetUtcNow());
        Plan plan = await catalog.GetPlanVersionAsync(tenant, current, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Plan {current} is missing.");
        Customer customer = await catalog.GetCustomerAsync(tenant, subscription.CustomerId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Customer {subscription.CustomerId} is missing.");
        (DateTimeOffset from, DateTimeOffset to) = period.UsageHours;
        IReadOnlyList<MeterUsage> usages = await UsageAsync(tenant, subscription, plan, period.Start, from, to, period, null, ct).ConfigureAwait(false);
        return new PeriodUsage(period, plan, customer, usages);
    }

    /// <summary>Prices a period: the plan's fixed fee, and each meter priced in the plan's book at the period's start with its
    /// usage over the period's hours (BillingPeriod.UsageHours).</summary>
    private async Task<(InvoiceTotals Totals, Plan Plan)> ComputeAsync(string tenant, Subscription subscription, BillingPeriod period, BillingCache? cache, CancellationToken ct,
        decimal? taxRate = null)
    {
        Customer customer = await Cached(cache?.Customers, subscription.CustomerId, () => catalog.GetCustomerAsync(tenant, subscription.CustomerId, ct)).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Customer {subscription.CustomerId} is missing.");
        IReadOnlyList<(BillingPeriod Part, PlanRef Plan)> parts = subscription.PartsOf(period);
        BillingPeriod full = subscription.FullPeriodOf(period);
        var lines = new List<LineItem>();
        Plan? first = null;
        try
        {
            for (int i = 0; i < parts.Count; i++)
            {
                (BillingPeriod part, PlanRef planRef) = parts[i];
                Plan plan = await Cached(cache?.Plans, planRef, () => catalog.GetPlanVersionAsync(tenant, planRef, ct)).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"Plan {planRef} is missing.");
                first ??= plan;
                // A plan change falls on a whole hour: the parts' hours tile the period's.
                (DateTimeOffset from, DateTimeOffset to) = (i == 0 ? period.UsageHours.From : part.Start, i == parts.Count - 1 ? period.UsageHours.To : part.End);
                IReadOnlyList<MeterUsage> usages = await UsageAsync(tenant, subscription, plan, part.Start, from, to, period, cache, ct).ConfigureAwait(false);
                decimal fixedFee = FixedFee.For(plan.FixedFee, plan.Proration, part, full, first: i == 0);
                lines.AddRange(InvoiceCalculator.Lines(plan.Code, fixedFee, plan.Currency, usages, parts.Count == 1 ? string.Empty : $" on plan {plan.Code}"));
            }

            return (InvoiceCalculator.Totals(lines, first!.Currency, taxRate ?? customer.TaxRate), first);
        }
        catch (OverflowException ex)
        {
            // Decimal arithmetic throws only past its range: the invoice cannot be priced, however often it is asked for.
            throw new AmountOutOfRangeException(subscription.Id, period.Start, ex);
        }
    }

    /// <summary>Each meter the plan prices (in the book in force at <paramref name="pricedAt"/>) with its usage over [from, to).</summary>
    private async Task<IReadOnlyList<MeterUsage>> UsageAsync(string tenant, Subscription subscription, Plan plan, DateTimeOffset pricedAt, DateTimeOffset from, DateTimeOffset to,
        BillingPeriod period, BillingCache? cache, CancellationToken ct)
    {
        IReadOnlyList<PriceEntry> prices = await Cached(cache?.Prices, (plan.Code, pricedAt), () => store.PricesInForceAsync(tenant, plan.Code, pricedAt, ct)).ConfigureAwait(false);
        TenantMeters meters = await catalog.GetMetersAsync(tenant, ct).ConfigureAwait(false);
        bool ended = period.End <= subscription.PeriodAt(time.GetUtcNow()).Start;
        var usages = new List<MeterUsage>(prices.Count);
        foreach (PriceEntry price in prices)
        {
            Meter meter = meters.Find(price.MeterCode) ?? throw new InvalidOperationException($"Meter {price.MeterCode} is missing.");
            var query = new UsageQuery(meter.Code, from, to, UsageWindow.None, []);
            // An ended period is read from the history directly, so billing many subscriptions does not activate their grains.
            UsageResult result = ended
                ? await history.QueryAsync(tenant, subscription.Id, meter, query, ct).ConfigureAwait(false)
                : await usage.ReadAsync(tenant, subscription.Id, meter, query, ct).ConfigureAwait(false);
            usages.Add(new MeterUsage(meter.Code, price.Price, result.Value ?? 0, result.Events));
        }

        return usages;
    }

    private static Task<T> Cached<TKey, T>(ConcurrentDictionary<TKey, Task<T>>? cache, TKey key, Func<Task<T>> load) where TKey : notnull
        => cache is null ? load() : cache.GetOrAdd(key, _ => load());

    /// <summary>Runs a command on the stored invoice, or answers NOT_FOUND.</summary>
    private async Task<InvoiceOutcome> WithInvoiceAsync(string tenant, Guid id, Func<Invoice, Task<InvoiceOutcome>> command, CancellationToken ct)
        => await store.InvoiceAsync(tenant, id, ct).ConfigureAwait(false) is { } invoice
            ? await command(invoice).ConfigureAwait(false)
            : InvoiceOutcome.Problem(InvoiceFailure.NotFound, $"Invoice {id} was not found.");

    private void Record(string tenant, string action, Invoice invoice)
        => audit.Record(new AuditEntry(tenant, time.GetUtcNow(), action, "api", invoice.SubscriptionId, JsonSerializer.Serialize(new
        {
            invoice_id = invoice.Id,
            kind = invoice.Kind,
            period_start = invoice.PeriodStart,
            total = invoice.Totals.Total,
            currency = invoice.Currency,
        })));
}
