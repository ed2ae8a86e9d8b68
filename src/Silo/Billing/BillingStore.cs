using System.Text.Json;
using Metering.Grains;
using Metering.Grains.Catalog;
using Metering.Grains.Pricing;
using Metering.Grains.Webhooks;
using Metering.Runtime;
using Metering.Silo.Listing;
using Metering.Silo.Webhooks;
using Npgsql;

namespace Metering.Silo.Billing;

/// <summary>Price books and invoices in PostgreSQL (billing runs and re-rating jobs keep their own tables, in their services).</summary>
public sealed class BillingStore(NpgsqlDataSource dataSource, WebhookOutbox outbox) : IClosedPeriods
{
    public const string Standard = "standard";
    public const string AdjustmentKind = "adjustment";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.General);

    // The exclusion constraint decides overlaps, but two inserts that conflict with each other can each wait for the other
    // inside PostgreSQL's check (deadlock_detected, after a second). Entries for one (tenant, plan, meter) therefore take a
    // transaction lock first: the second insert then meets the first one committed and fails with exclusion_violation.
    private const string InsertPriceSql = """
        INSERT INTO prices (id, tenant_id, plan_code, meter_code, model, properties, effective_from, effective_to, created_at)
        SELECT $1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9
        FROM (SELECT pg_advisory_xact_lock(7265, hashtext($2 || '/' || $3 || '/' || $4))) AS serialize_per_meter
        """;

    private const string PriceColumns = "id, plan_code, meter_code, model, properties::text, effective_from, effective_to, created_at";

    private const string PlanPricesSql = "SELECT " + PriceColumns + " FROM prices WHERE tenant_id = $1 AND plan_code = $2 ORDER BY meter_code, effective_from";

    private const string PricesInForceSql = "SELECT " + PriceColumns + """
         FROM prices WHERE tenant_id = $1 AND plan_code = $2 AND effective_from <= $3 AND (effective_to IS NULL OR effective_to > $3)
        ORDER BY meter_code
        """;

    private const string InvoiceColumns = """
        id, subscription_id, customer_id, plan_code, currency, period_start, period_end, status, kind, adjusts, line_items::text,
        subtotal, tax_rate, tax, total, created_at, finalized_at, voided_at
        """;

    // Inserted only while the subscription is at the revision the invoice was priced under ($18; null: any), with its row
    // share-locked until the commit: a cancel or plan change either comes first (and the insert finds no row) or waits.
    private const string InsertInvoiceSql = """
        INSERT INTO invoices (id, tenant_id, subscription_id, customer_id, plan_code, currency, period_start, period_end, status, kind, adjusts,
                              line_items, subtotal, tax_rate, tax, total, created_at, updated_at)
        SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $15, $16, $17, $17
        FROM subscriptions s WHERE s.tenant_id = $2 AND s.id = $3 AND ($18::bigint IS NULL OR s.revision = $18)
        FOR SHARE OF s
        ON CONFLICT DO NOTHING
        """;

    private const string ExistingInvoiceSql = """
        SELECT id FROM invoices WHERE tenant_id = $1 AND subscription_id = $2 AND period_start = $3 AND kind = 'standard' AND status <> 'voided'
        """;

    private const string InvoiceSql = "SELECT " + InvoiceColumns + " FROM invoices WHERE tenant_id = $1 AND id = $2";

    private const string ListInvoicesSql = "SELECT " + InvoiceColumns + """
         FROM invoices WHERE tenant_id = $1 AND ($2::text IS NULL OR subscription_id = $2) AND ($3::text IS NULL OR status = $3)
          AND ($4::text IS NULL OR customer_id = $4) AND ($5::timestamptz IS NULL OR period_start >= $5) AND ($6::timestamptz IS NULL OR period_end <= $6)
          AND ($7::text IS NULL OR (created_at, id) > (SELECT created_at, id FROM invoices WHERE tenant_id = $1 AND id::text = $7))
        ORDER BY created_at, id LIMIT $8
        """;

    private const string RecentInvoicesSql = "SELECT " + InvoiceColumns + """
         FROM invoices WHERE tenant_id = $1 AND subscription_id = $2 ORDER BY period_start DESC, created_at DESC LIMIT $3
        """;

    private const string ListPricesSql = "SELECT " + PriceColumns + """
         FROM prices WHERE tenant_id = $1 AND ($2::text IS NULL OR plan_code = $2) AND ($3::text IS NULL OR meter_code = $3)
          AND ($4::text IS NULL OR (created_at, id) > (SELECT created_at, id FROM prices WHERE tenant_id = $1 AND id::text = $4))
        ORDER BY created_at, id LIMIT $5
        """;

    private const string UpdateTotalsSql = """
        UPDATE invoices SET line_items = $3::jsonb, subtotal = $4, tax_rate = $5, tax = $6, total = $7, updated_at = $8
        WHERE tenant_id = $1 AND id = $2 AND status = $9
        """;

    private const string SetStatusSql = """
        UPDATE invoices SET status = $3, updated_at = $5,
            finalized_at = CASE WHEN $3 = 'finalized' THEN $5 ELSE finalized_at END,
            voided_at = CASE WHEN $3 = 'voided' THEN $5 ELSE voided_at END
        WHERE tenant_id = $1 AND id = $2 AND status = ANY ($4)
        """;

    /// <summary>The fence check every event append makes (it also share-locks the lease row until the commit).</summary>
    private const string AssertFenceSql = "SELECT metering_assert_fences($1, $2, $3)";

    /// <summary>The SQLSTATE metering_assert_fences raises when the fence no longer holds.</summary>
    private const string FenceRefused = "MF001";

    private const string ClosedSql = """
        SELECT period_start, period_end FROM invoices
        WHERE tenant_id = $1 AND subscription_id = $2 AND kind = 'standard' AND status IN ('finalizing', 'finalized')
        """;

    private const string InvoicedPeriodsSql = """
        SELECT subscription_id, period_start FROM invoices WHERE tenant_id = $1 AND kind = 'standard' AND status <> 'voided'
        """;

    private const string InScopeSql = "SELECT " + InvoiceColumns + """
         FROM invoices WHERE tenant_id = $1 AND customer_id = ANY ($2) AND kind = 'standard' AND status IN ('draft', 'finalized')
          AND period_start < $4 AND period_end > $3
        ORDER BY period_start
        """;

    private const string AdjustmentsSql = "SELECT " + InvoiceColumns + " FROM invoices WHERE tenant_id = $1 AND adjusts = $2 AND status <> 'voided'";

    public async Task<PriceInsert> InsertPriceAsync(string tenantId, PriceEntry entry, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(InsertPriceSql);
        command.AddPositional(entry.Id, tenantId, entry.PlanCode, entry.MeterCode, entry.Price.Model.ToWire(), entry.PropertiesJson, entry.EffectiveFrom,
            (object?)entry.EffectiveTo ?? DBNull.Value, entry.CreatedAt);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return PriceInsert.Created;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ExclusionViolation)
        {
            return PriceInsert.Overlap;
        }
    }

    public Task<IReadOnlyList<PriceEntry>> PricesAsync(string tenantId, string planCode, CancellationToken cancellationToken = default)
        => ReadPricesAsync(PlanPricesSql, [tenantId, planCode], cancellationToken);

    /// <summary>The entries of a plan in force at <paramref name="at"/> (a period's start): one per meter at most.</summary>
    public Task<IReadOnlyList<PriceEntry>> PricesInForceAsync(string tenantId, string planCode, DateTimeOffset at, CancellationToken cancellationToken = default)
        => ReadPricesAsync(PricesInForceSql, [tenantId, planCode, at], cancellationToken);

    private async Task<IReadOnlyList<PriceEntry>> ReadPricesAsync(string sql, object[] parameters, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        command.AddPositional(parameters);
        var entries = new List<PriceEntry>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ChargeModel model = WireName.ParseWire<ChargeModel>(reader.GetString(3));
            string properties = reader.GetString(4);
            using JsonDocument document = JsonDocument.Parse(properties);
            PriceSpec price = ChargeModels.Parse(model, document.RootElement, new Dictionary<string, string>())
                ?? throw new InvalidOperationException($"Stored price {reader.GetGuid(0)} does not parse.");
            entries.Add(new PriceEntry(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), price, properties,
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset?>(6), reader.GetFieldValue<DateTimeOffset>(7)));
        }

        return entries;
    }

    /// <summary>Inserts an invoice priced under the subscription's <paramref name="revision"/> (null: whatever it is now), with its
    /// <c>invoice.created</c> notification in the same transaction. For a standard one, returns the id of the existing invoice of
    /// that period instead when there is one; <see cref="StaleRevision"/> when the subscription changed since it was priced (price
    /// it again).</summary>
    public async Task<Guid?> InsertInvoiceAsync(string tenantId, Invoice invoice, long? revision, CancellationToken cancellationToken = default)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(InsertInvoiceSql, connection, transaction);
        InvoiceTotals t = invoice.Totals;
        command.AddPositional(invoice.Id, tenantId, invoice.SubscriptionId, invoice.CustomerId, invoice.PlanCode, invoice.Currency, invoice.PeriodStart,
            invoice.PeriodEnd, invoice.Status.ToWire(), invoice.Kind, (object?)invoice.Adjusts ?? DBNull.Value, JsonSerializer.Serialize(t.Lines, s_json),
            t.Subtotal, t.TaxRate, t.Tax, t.Total, invoice.CreatedAt,
            new NpgsqlParameter { Value = (object?)revision ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
        {
            await outbox.WriteAsync(connection, transaction, Notification(tenantId, NotificationType.InvoiceCreated, invoice), cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }

        await using var existing = new NpgsqlCommand(ExistingInvoiceSql, connection, transaction);
        existing.AddPositional(tenantId, invoice.SubscriptionId, invoice.PeriodStart);
        object? id = await existing.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return id as Guid? ?? StaleRevision; // none: voided meanwhile, or the subscription changed; the caller prices it again.
    }

    /// <summary>What <see cref="InsertInvoiceAsync"/> answers when no invoice of the period exists and none was inserted.</summary>
    public static readonly Guid StaleRevision = Guid.Empty;

    private OutboxNotification Notification(string tenantId, NotificationType type, Invoice invoice)
        => outbox.ForSubscription(tenantId, invoice.SubscriptionId, type, outbox.Resources.Invoice(invoice));

    public async Task<Invoice?> InvoiceAsync(string tenantId, Guid id, CancellationToken cancellationToken = default)
        => (await ReadInvoicesAsync(InvoiceSql, [tenantId, id], cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>Invoices in the order they were made, filtered by the fields of <paramref name="filter"/> that are set.</summary>
    public async Task<Page<Invoice>> InvoicesAsync(string tenantId, InvoiceFilter filter, PageRequest page, CancellationToken cancellationToken = default)
    {
        var parameters = new NpgsqlParameter[]
        {
            new() { Value = tenantId },
            new() { Value = (object?)filter.SubscriptionId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
            new() { Value = filter.Status is null ? DBNull.Value : filter.Status.Value.ToWire(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
            new() { Value = (object?)filter.CustomerId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
            new() { Value = (object?)filter.PeriodFrom ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz },
            new() { Value = (object?)filter.PeriodTo ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz },
            new() { Value = (object?)page.After ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
            new() { Value = page.Limit + 1 },
        };
        IReadOnlyList<Invoice> rows = await ReadInvoicesAsync(ListInvoicesSql, parameters, cancellationToken).ConfigureAwait(false);
        return Page<Invoice>.From(rows, page.Limit, i => i.Id.ToString());
    }

    /// <summary>A subscription's latest invoices, by period, newest first: the dashboard's view.</summary>
    public Task<IReadOnlyList<Invoice>> RecentInvoicesAsync(string tenantId, string subscriptionId, int limit, CancellationToken cancellationToken = default)
        => ReadInvoicesAsync(RecentInvoicesSql, [tenantId, subscriptionId, limit], cancellationToken);

    /// <summary>Price book entries in the order they were made, of one plan and meter when given.</summary>
    public async Task<Page<PriceEntry>> PricesAsync(string tenantId, string? planCode, string? meterCode, PageRequest page, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<PriceEntry> rows = await ReadPricesAsync(ListPricesSql, [tenantId, Text(planCode), Text(meterCode), Text(page.After), page.Limit + 1], cancellationToken).ConfigureAwait(false);
        return Page<PriceEntry>.From(rows, page.Limit, p => p.Id.ToString());
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };

    /// <summary>Standard invoices of the customers whose period overlaps [from, to), drafts and finalized.</summary>
    public Task<IReadOnlyList<Invoice>> InvoicesInScopeAsync(string tenantId, IReadOnlyList<string> customerIds, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
        => ReadInvoicesAsync(InScopeSql, [tenantId, customerIds.ToArray(), from, to], cancellationToken);

    public Task<IReadOnlyList<Invoice>> AdjustmentsOfAsync(string tenantId, Guid invoiceId, CancellationToken cancellationToken = default)
        => ReadInvoicesAsync(AdjustmentsSql, [tenantId, invoiceId], cancellationToken);

    private async Task<IReadOnlyList<Invoice>> ReadInvoicesAsync(string sql, object[] parameters, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        foreach (object parameter in parameters)
        {
            command.Parameters.Add(parameter as NpgsqlParameter ?? new NpgsqlParameter { Value = parameter });
        }

        var invoices = new List<Invoice>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var lines = JsonSerializer.Deserialize<List<LineItem>>(reader.GetString(10), s_json)!;
            var totals = new InvoiceTotals(lines, reader.GetDecimal(11), reader.GetDecimal(12), reader.GetDecimal(13), reader.GetDecimal(14));
            invoices.Add(new Invoice(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6), WireName.ParseWire<InvoiceStatus>(reader.GetString(7)), reader.GetString(8),
                reader.GetFieldValue<Guid?>(9), totals, reader.GetFieldValue<DateTimeOffset>(15),
                reader.GetFieldValue<DateTimeOffset?>(16), reader.GetFieldValue<DateTimeOffset?>(17)));
        }

        return invoices;
    }

    /// <summary>Replaces the figures of an invoice that is still in <paramref name="status"/>; false if it is not.</summary>
    public async Task<bool> UpdateTotalsAsync(string tenantId, Guid id, InvoiceTotals totals, InvoiceStatus status, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(UpdateTotalsSql);
        command.AddPositional(tenantId, id, JsonSerializer.Serialize(totals.Lines, s_json), totals.Subtotal, totals.TaxRate, totals.Tax, totals.Total, now, status.ToWire());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>Moves an invoice from one of <paramref name="from"/> to <paramref name="to"/>; with a fence, only while that
    /// fence still holds its partition. A move to finalized or voided writes the notification of <paramref name="after"/>
    /// (the invoice as the move leaves it) in the same transaction. False when nothing was changed.</summary>
    public async Task<bool> SetStatusAsync(string tenantId, Guid id, InvoiceStatus to, InvoiceStatus[] from, DateTimeOffset now, CancellationToken cancellationToken = default,
        FencingToken? fence = null, Invoice? after = null)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (fence is { } f && !await HoldsFenceAsync(connection, transaction, f, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await using var update = new NpgsqlCommand(SetStatusSql, connection, transaction);
        update.AddPositional(tenantId, id, to.ToWire(), from.Select(WireName.ToWire).ToArray(), now);
        if (await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
        {
            return false;
        }

        NotificationType? type = to switch
        {
            InvoiceStatus.Finalized => NotificationType.InvoiceFinalized,
            InvoiceStatus.Voided => NotificationType.InvoiceVoided,
            _ => null,
        };
        if (type is { } t && after is not null)
        {
            await outbox.WriteAsync(connection, transaction, Notification(tenantId, t, after), cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The fence check an event append makes, in this transaction (it share-locks the lease row until the commit).</summary>
    private static async Task<bool> HoldsFenceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, FencingToken fence, CancellationToken cancellationToken)
    {
        await using var assert = new NpgsqlCommand(AssertFenceSql, connection, transaction);
        assert.AddPositional(fence.SiloId, new[] { fence.Partition }, new[] { fence.Epoch });
        try
        {
            await assert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState == FenceRefused)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)>> ListAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(ClosedSql);
        command.AddPositional(tenantId, subscriptionId);
        var periods = new List<(DateTimeOffset, DateTimeOffset)>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            periods.Add(new BillingPeriod(reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1)).UsageHours);
        }

        return periods;
    }

    /// <summary>Every (subscription, period start) of the tenant that has a standard invoice not voided.</summary>
    public async Task<HashSet<(string, DateTimeOffset)>> InvoicedPeriodsAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(InvoicedPeriodsSql);
        command.AddPositional(tenantId);
        var periods = new HashSet<(string, DateTimeOffset)>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            periods.Add((reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return periods;
    }
}
