using System.Collections.Concurrent;
using Metering.Grains;
using Metering.Grains.Catalog;
using Metering.Silo.ApiKeys;
using Metering.Silo.Listing;
using Npgsql;

namespace Metering.Silo.Catalog;

/// <summary>Tenants and the catalog in PostgreSQL, with in-process caches for the hot lookups (subject → subscription,
/// tenant → meters). Writes through this store refresh the caches. API keys are <see cref="ApiKeyStore"/>'s.</summary>
public sealed class CatalogStore(NpgsqlDataSource dataSource, TimeProvider time) : ICatalogReader
{
    private const string InsertTenantSql = "INSERT INTO tenants (id) VALUES ($1) ON CONFLICT DO NOTHING";
    private const string InsertMeterSql = "INSERT INTO meters (tenant_id, code, event_type, aggregation, value_property, group_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
    private const string SelectMetersSql = "SELECT code, event_type, aggregation, value_property, group_by, created_at, name, description, archived_at FROM meters WHERE tenant_id = $1 ORDER BY code";
    private const string InsertCustomerSql = "INSERT INTO customers (tenant_id, id, name, currency, tax_rate, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
    private const string CustomerColumns = "id, name, currency, tax_rate, created_at, email, metadata::text";
    private const string SelectCustomerSql = "SELECT " + CustomerColumns + " FROM customers WHERE tenant_id = $1 AND id = $2";
    private const string ListCustomersSql = "SELECT " + CustomerColumns + " FROM customers WHERE tenant_id = $1 AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3";
    private const string LockCustomerSql = "SELECT " + CustomerColumns + " FROM customers WHERE tenant_id = $1 AND id = $2 FOR UPDATE";
    private const string CustomerInvoicedSql = "SELECT EXISTS (SELECT 1 FROM invoices WHERE tenant_id = $1 AND customer_id = $2)";
    private const string UpdateCustomerSql = "UPDATE customers SET name = $3, email = $4, currency = $5, tax_rate = $6, metadata = $7::jsonb, updated_at = $8 WHERE tenant_id = $1 AND id = $2";
    private const string DeleteCustomerSql = "DELETE FROM customers WHERE tenant_id = $1 AND id = $2 RETURNING " + CustomerColumns;
    private const string LockMeterSql = "SELECT code, event_type, aggregation, value_property, group_by, created_at, name, description, archived_at FROM meters WHERE tenant_id = $1 AND code = $2 FOR UPDATE";
    private const string MeterHasEventsSql = "SELECT EXISTS (SELECT 1 FROM events WHERE tenant_id = $1 AND event_type = ANY ($2))";
    private const string UpdateMeterSql = """
        UPDATE meters SET event_type = $3, aggregation = $4, value_property = $5, group_by = $6, name = $7, description = $8, archived_at = $9
        WHERE tenant_id = $1 AND code = $2
        """;
    // A plan is made with its first version.
    private const string InsertPlanSql = """
        WITH made AS (
            INSERT INTO plans (tenant_id, code, currency, billing_interval, fixed_fee, created_at, proration) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT DO NOTHING RETURNING tenant_id, code, fixed_fee, proration, created_at)
        INSERT INTO plan_versions (tenant_id, code, version, fixed_fee, proration, created_at) SELECT tenant_id, code, 1, fixed_fee, proration, created_at FROM made
        """;
    private const string PlanColumns = "code, currency, billing_interval, fixed_fee, created_at, proration, version";
    private const string SelectPlanSql = "SELECT " + PlanColumns + " FROM plans WHERE tenant_id = $1 AND code = $2";
    private const string LockPlanSql = SelectPlanSql + " FOR UPDATE";
    private const string ListPlansSql = "SELECT " + PlanColumns + " FROM plans WHERE tenant_id = $1 AND ($2::text IS NULL OR code > $2) ORDER BY code LIMIT $3";
    private const string PlanVersionsSql = """
        SELECT p.code, p.currency, p.billing_interval, v.fixed_fee, v.created_at, v.proration, v.version
        FROM plans p JOIN plan_versions v ON v.tenant_id = p.tenant_id AND v.code = p.code WHERE p.tenant_id = $1 AND p.code = $2
        """;
    private const string SelectPlanVersionSql = PlanVersionsSql + " AND v.version = $3";
    private const string ListPlanVersionsSql = PlanVersionsSql + " ORDER BY v.version";
    private const string PlanVersionInUseSql = """
        SELECT EXISTS (SELECT 1 FROM subscriptions WHERE tenant_id = $1 AND plan_code = $2 AND plan_version = $3)
            OR EXISTS (SELECT 1 FROM subscription_phases WHERE tenant_id = $1 AND plan_code = $2 AND plan_version = $3)
        """;
    private const string NewPlanVersionSql = "INSERT INTO plan_versions (tenant_id, code, version, fixed_fee, proration, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    private const string EditPlanVersionSql = "UPDATE plan_versions SET fixed_fee = $4, proration = $5 WHERE tenant_id = $1 AND code = $2 AND version = $3";
    private const string UpdatePlanSql = "UPDATE plans SET version = $3, fixed_fee = $4, proration = $5 WHERE tenant_id = $1 AND code = $2";
    private const string InsertSubscriptionSql = """
        INSERT INTO subscriptions (tenant_id, id, customer_id, plan_code, started_at, created_at, plan_version) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
        """;
    // A subject freed by an ended subscription is held by the new one from that end on.
    private const string InsertSubjectsSql = """
        INSERT INTO subscription_subjects (tenant_id, subject, subscription_id, valid_from)
        SELECT $1, s, $2, coalesce((SELECT max(valid_to) FROM subscription_subjects x WHERE x.tenant_id = $1 AND x.subject = s), '-infinity')
        FROM unnest($3::text[]) s
        """;
    private const string SubscriptionsSql = """
        SELECT s.id, s.customer_id, s.plan_code, p.billing_interval, s.started_at, s.created_at,
               coalesce((SELECT array_agg(DISTINCT subject ORDER BY subject) FROM subscription_subjects x WHERE x.tenant_id = s.tenant_id AND x.subscription_id = s.id), '{}'),
               s.ended_at, s.revision,
               coalesce((SELECT array_agg(starts_at ORDER BY starts_at) FROM subscription_phases c WHERE c.tenant_id = s.tenant_id AND c.subscription_id = s.id), '{}'),
               coalesce((SELECT array_agg(plan_code ORDER BY starts_at) FROM subscription_phases c WHERE c.tenant_id = s.tenant_id AND c.subscription_id = s.id), '{}'),
               s.plan_version,
               coalesce((SELECT array_agg(plan_version ORDER BY starts_at) FROM subscription_phases c WHERE c.tenant_id = s.tenant_id AND c.subscription_id = s.id), '{}')
        FROM subscriptions s JOIN plans p ON p.tenant_id = s.tenant_id AND p.code = s.plan_code
        """;
    // Subscriptions not ended by $3 that are, or will be, on plan $2 at some time: those a migration of the plan may move.
    private const string SubscriptionsOnPlanSql = SubscriptionsSql + """
         WHERE s.tenant_id = $1 AND (s.ended_at IS NULL OR s.ended_at > $3)
           AND (s.plan_code = $2 OR EXISTS (SELECT 1 FROM subscription_phases c WHERE c.tenant_id = s.tenant_id AND c.subscription_id = s.id AND c.plan_code = $2))
         ORDER BY s.id
        """;
    private const string SelectSubscriptionSql = SubscriptionsSql + " WHERE s.tenant_id = $1 AND s.id = $2";
    private const string SubscriptionsStartedBeforeSql = SubscriptionsSql + " WHERE s.tenant_id = $1 AND s.started_at < $2";
    private const string ListSubscriptionsSql = SubscriptionsSql + """
         WHERE s.tenant_id = $1 AND ($2::text IS NULL OR s.customer_id = $2)
           AND ($3::text IS NULL OR coalesce((SELECT c.plan_code FROM subscription_phases c WHERE c.tenant_id = s.tenant_id AND c.subscription_id = s.id AND c.starts_at <= $5
                                             ORDER BY c.starts_at DESC LIMIT 1), s.plan_code) = $3)
           AND ($4::text IS NULL OR ($4 = 'active') = (s.ended_at IS NULL OR s.ended_at > $5))
           AND ($6::text IS NULL OR s.id > $6)
         ORDER BY s.id LIMIT $7
        """;
    private const string SubjectHoldsSql = "SELECT subscription_id, valid_from, valid_to FROM subscription_subjects WHERE tenant_id = $1 AND subject = $2 ORDER BY valid_from";

    private readonly ConcurrentDictionary<string, TenantMeters> _meters = new();
    private readonly ConcurrentDictionary<(string, string), SubjectHolds> _subjects = new();
    private readonly ConcurrentDictionary<(string, string), Subscription> _subscriptions = new();

    /// <summary>Creates a tenant with a new API key holding every tenant scope; null when the tenant exists.</summary>
    public async Task<IssuedApiKey?> CreateTenantAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        string secret = ApiKeySecrets.NewKey();
        ApiKey? key = await CreateTenantWithKeyAsync(tenantId, secret, keyForExistingTenant: false, cancellationToken).ConfigureAwait(false);
        return key is null ? null : new IssuedApiKey(key, secret);
    }

    /// <summary>Creates the tenant with the key, which holds every tenant scope, as keys made before scopes existed do. When
    /// the tenant exists, adds the key only with <paramref name="keyForExistingTenant"/> (the bootstrap key of an existing
    /// default tenant). The key made, or null when nothing was.</summary>
    public async Task<ApiKey?> CreateTenantWithKeyAsync(string tenantId, string apiKey, bool keyForExistingTenant, CancellationToken cancellationToken = default)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        int created = await Execute(connection, transaction, InsertTenantSql, cancellationToken, tenantId).ConfigureAwait(false);
        if (created == 0 && !keyForExistingTenant)
        {
            return null;
        }

        ApiKey? key = await ApiKeyStore.InsertAsync(connection, transaction, tenantId, apiKey, ApiScopes.All, null, null, Now, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return key;
    }

    public async Task<CreateResult> CreateMeterAsync(string tenantId, Meter meter, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(InsertMeterSql);
        command.AddPositional(tenantId, meter.Code, meter.EventType, meter.Aggregation.ToWire(), (object?)meter.ValueProperty ?? DBNull.Value, meter.GroupBy.ToArray(), meter.CreatedAt);
        int rows = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        _meters.TryRemove(tenantId, out _);
        return rows == 1 ? CreateResult.Created : CreateResult.AlreadyExists;
    }

    public async ValueTask<TenantMeters> GetMetersAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        if (_meters.TryGetValue(tenantId, out TenantMeters? cached))
        {
            return cached;
        }

        await using NpgsqlCommand command = dataSource.CreateCommand(SelectMetersSql);
        command.AddPositional(tenantId);
        var meters = new List<Meter>();
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                meters.Add(ReadMeter(reader));
            }
        }

        var result = new TenantMeters(meters);
        _meters[tenantId] = result;
        return result;
    }

    public async Task<CreateResult> CreateCustomerAsync(string tenantId, Customer customer, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(InsertCustomerSql);
        command.AddPositional(tenantId, customer.Id, customer.Name, customer.Currency, customer.TaxRate, customer.CreatedAt);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1 ? CreateResult.Created : CreateResult.AlreadyExists;
    }

    public async Task<Customer?> GetCustomerAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(SelectCustomerSql);
        command.AddPositional(tenantId, id);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadCustomer(reader) : null;
    }

    /// <summary>Edits a customer: Done with the customer before and after, NotFound, or CurrencyLocked when the currency would change
    /// after something was invoiced to them.</summary>
    public async Task<(EditOutcome Outcome, Customer? Before, Customer? After)> UpdateCustomerAsync(string tenantId, string id, CustomerChanges changes,
        CancellationToken cancellationToken = default)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        Customer? before = await ReadOneAsync(connection, transaction, LockCustomerSql, ReadCustomer, cancellationToken, tenantId, id).ConfigureAwait(false);
        if (before is null)
        {
            return (EditOutcome.NotFound, null, null);
        }

        Customer after = changes.ApplyTo(before);
        if (after.Currency != before.Currency
            && await ReadOneAsync(connection, transaction, CustomerInvoicedSql, r => r.GetBoolean(0), cancellationToken, tenantId, id).ConfigureAwait(false))
        {
            return (EditOutcome.CurrencyLocked, before, null);
        }

        await Execute(connection, transaction, UpdateCustomerSql, cancellationToken, tenantId, id, after.Name, (object?)after.Email ?? DBNull.Value, after.Currency,
            after.TaxRate, after.MetadataJson, Now).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (EditOutcome.Done, before, after);
    }

    /// <summary>Deletes a customer without subscriptions (the foreign key of subscriptions decides): Done with the deleted one,
    /// NotFound or HasSubscriptions.</summary>
    public async Task<(EditOutcome Outcome, Customer? Deleted)> DeleteCustomerAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        try
        {
            await using NpgsqlCommand command = dataSource.CreateCommand(DeleteCustomerSql);
            command.AddPositional(tenantId, id);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (EditOutcome.Done, ReadCustomer(reader)) : (EditOutcome.NotFound, null);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return (EditOutcome.HasSubscriptions, null);
        }
    }

    /// <summary>Edits or archives a meter: Done with the meter before and after, NotFound, or HasEvents when the edit would change
    /// how events count once events of its type (old or new) exist. <paramref name="archiveAt"/> archives it (once).</summary>
    public async Task<(EditOutcome Outcome, Meter? Before, Meter? After)> UpdateMeterAsync(string tenantId, string code, MeterChanges changes, DateTimeOffset? archiveAt,
        CancellationToken cancellationToken = default)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        Meter? before = await ReadOneAsync(connection, transaction, LockMeterSql, ReadMeter, cancellationToken, tenantId, code).ConfigureAwait(false);
        if (before is null)
        {
            return (EditOutcome.NotFound, null, null);
        }

        Meter after = changes.ApplyTo(before);
        // PostgreSQL keeps microseconds: the answer shows what a read shows.
        after = after with { ArchivedAt = before.ArchivedAt ?? (archiveAt is { } at ? at.AddTicks(-(at.UtcTicks % 10)) : null) };
        if (changes.ChangesCounting(before)
            && await ReadOneAsync(connection, transaction, MeterHasEventsSql, r => r.GetBoolean(0), cancellationToken, tenantId, new[] { before.EventType, after.EventType }).ConfigureAwait(false))
        {
            return (EditOutcome.HasEvents, before, null);
        }

        await Execute(connection, transaction, UpdateMeterSql, cancellationToken, tenantId, code, after.EventType, after.Aggregation.ToWire(),
            (object?)after.ValueProperty ?? DBNull.Value, after.GroupBy.ToArray(), (object?)after.Name ?? DBNull.Value, (object?)after.Description ?? DBNull.Value,
            (object?)after.ArchivedAt ?? DBNull.Value).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _meters.TryRemove(tenantId, out _);
        return (EditOutcome.Done, before, after);
    }

    private static async Task<T?> ReadOneAsync<T>(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, Func<NpgsqlDataReader, T> read,
        CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.AddPositional(values);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? read(reader) : default;
    }

    public async Task<CreateResult> CreatePlanAsync(string tenantId, Plan plan, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(InsertPlanSql);
        command.AddPositional(tenantId, plan.Code, plan.Currency, plan.Interval.ToWire(), plan.FixedFee, plan.CreatedAt, plan.Proration.ToWire());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1 ? CreateResult.Created : CreateResult.AlreadyExists;
    }

    public async Task<Plan?> GetPlanAsync(string tenantId, string code, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(SelectPlanSql);
        command.AddPositional(tenantId, code);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return ReadPlan(reader);
    }

    /// <summary>Version <paramref name="version"/> of a plan, or null.</summary>
    public async Task<Plan?> GetPlanVersionAsync(string tenantId, PlanRef plan, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(SelectPlanVersionSql);
        command.AddPositional(tenantId, plan.Code, plan.Version);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadPlan(reader) : null;
    }

    /// <summary>Every version of a plan, oldest first (empty when there is no such plan).</summary>
    public async Task<IReadOnlyList<Plan>> PlanVersionsAsync(string tenantId, string code, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(ListPlanVersionsSql);
        command.AddPositional(tenantId, code);
        var versions = new List<Plan>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions.Add(ReadPlan(reader));
        }

        return versions;
    }

    /// <summary>Edits a plan's fixed fee and proration: in place while no subscription is on its latest version, else as a new
    /// version that new subscriptions take and existing ones reach by migration. Done with the plan before and after, or NotFound.</summary>
    public async Task<(EditOutcome Outcome, Plan? Before, Plan? After)> UpdatePlanAsync(string tenantId, string code, PlanChanges changes,
        CancellationToken cancellationToken = default)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        Plan? before = await ReadOneAsync(connection, transaction, LockPlanSql, ReadPlan, cancellationToken, tenantId, code).ConfigureAwait(false);
        if (before is null)
        {
            return (EditOutcome.NotFound, null, null);
        }

        Plan after = changes.ApplyTo(before);
        if (after == before)
        {
            return (EditOutcome.Done, before, before);
        }

        bool inUse = await ReadOneAsync(connection, transaction, PlanVersionInUseSql, r => r.GetBoolean(0), cancellationToken, tenantId, code, before.Version).ConfigureAwait(false);
        if (inUse)
        {
            after = after with { Version = before.Version + 1 };
            await Execute(connection, transaction, NewPlanVersionSql, cancellationToken, tenantId, code, after.Version, after.FixedFee, after.Proration.ToWire(), Now).ConfigureAwait(false);
        }
        else
        {
            await Execute(connection, transaction, EditPlanVersionSql, cancellationToken, tenantId, code, after.Version, after.FixedFee, after.Proration.ToWire()).ConfigureAwait(false);
        }

        await Execute(connection, transaction, UpdatePlanSql, cancellationToken, tenantId, code, after.Version, after.FixedFee, after.Proration.ToWire()).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (EditOutcome.Done, before, after);
    }

    /// <summary>The subscriptions not ended by <paramref name="now"/> that are, or are to be, on plan <paramref name="code"/> at some time.</summary>
    public async Task<IReadOnlyList<Subscription>> SubscriptionsOnPlanAsync(string tenantId, string code, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(SubscriptionsOnPlanSql);
        command.AddPositional(tenantId, code, now);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var subscriptions = new List<Subscription>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            subscriptions.Add(ReadSubscription(reader));
        }

        return subscriptions;
    }

    /// <summary>Creates a subscription and claims its subjects. AlreadyExists: the id is taken; Conflict: a subject belongs to another
    /// subscription; NotFound: the customer or plan does not exist.</summary>
    public async Task<CreateResult> CreateSubscriptionAsync(string tenantId, Subscription subscription, CancellationToken cancellationToken = default)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int rows = await Execute(connection, transaction, InsertSubscriptionSql, cancellationToken, tenantId, subscription.Id, subscription.CustomerId, subscription.PlanCode, subscription.StartedAt.ToUniversalTime(), subscription.CreatedAt, subscription.PlanVersion).ConfigureAwait(false);
            if (rows == 0)
            {
                return CreateResult.AlreadyExists;
            }

            await Execute(connection, transaction, InsertSubjectsSql, cancellationToken, tenantId, subscription.Id, subscription.Subjects.ToArray()).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            Forget(tenantId, subscription.Id, subscription.Subjects);
            return CreateResult.Created;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.ExclusionViolation or PostgresErrorCodes.CheckViolation)
        {
            return CreateResult.Conflict;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return CreateResult.NotFound;
        }
    }

    public ValueTask<Subscription?> GetSubscriptionAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default)
        => _subscriptions.TryGetValue((tenantId, subscriptionId), out Subscription? cached)
            ? ValueTask.FromResult<Subscription?>(cached)
            : ReadSubscriptionAsync(tenantId, subscriptionId, cancellationToken);

    /// <summary>The subscription as stored now (past the cache, which it refreshes): after an invoice met a newer revision.</summary>
    public async ValueTask<Subscription?> ReadSubscriptionAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(SelectSubscriptionSql);
        command.AddPositional(tenantId, subscriptionId);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        Subscription subscription = ReadSubscription(reader);
        _subscriptions[(tenantId, subscriptionId)] = subscription;
        return subscription;
    }

    /// <summary>Every subscription of the tenant started before <paramref name="before"/> (a billing run's scope).</summary>
    public async Task<IReadOnlyList<Subscription>> SubscriptionsStartedBeforeAsync(string tenantId, DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(SubscriptionsStartedBeforeSql);
        command.AddPositional(tenantId, before);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var subscriptions = new List<Subscription>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            subscriptions.Add(ReadSubscription(reader));
        }

        return subscriptions;
    }

    private static Subscription ReadSubscription(NpgsqlDataReader reader)
        => new(reader.GetString(0), reader.GetString(1), reader.GetString(2), WireName.ParseWire<BillingInterval>(reader.GetString(3)),
            reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<string[]>(6), reader.GetFieldValue<DateTimeOffset>(5),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7), reader.GetInt64(8),
            ReadChanges(reader.GetFieldValue<DateTimeOffset[]>(9), reader.GetFieldValue<string[]>(10), reader.GetFieldValue<int[]>(12)), reader.GetInt32(11));

    private static List<PlanChange> ReadChanges(DateTimeOffset[] at, string[] plans, int[] versions)
        => [.. at.Select((instant, i) => new PlanChange(instant, plans[i], versions[i]))];

    private static Meter ReadMeter(NpgsqlDataReader reader)
        => new(reader.GetString(0), reader.GetString(1), WireName.ParseWire<Aggregation>(reader.GetString(2)), reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.GetFieldValue<string[]>(4), reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8));

    private static Customer ReadCustomer(NpgsqlDataReader reader)
        => new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetDecimal(3), reader.GetFieldValue<DateTimeOffset>(4),
            reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetString(6));

    private static Plan ReadPlan(NpgsqlDataReader reader)
        => new(reader.GetString(0), reader.GetString(1), WireName.ParseWire<BillingInterval>(reader.GetString(2)), reader.GetDecimal(3),
            reader.GetFieldValue<DateTimeOffset>(4), WireName.ParseWire<Proration>(reader.GetString(5)), reader.GetInt32(6));

    public Task<Page<Customer>> ListCustomersAsync(string tenantId, PageRequest page, CancellationToken cancellationToken = default)
        => Pages.ReadAsync(dataSource, ListCustomersSql, [tenantId], page, ReadCustomer, c => c.Id, cancellationToken);

    public Task<Page<Plan>> ListPlansAsync(string tenantId, PageRequest page, CancellationToken cancellationToken = default)
        => Pages.ReadAsync(dataSource, ListPlansSql, [tenantId], page, ReadPlan, p => p.Code, cancellationToken);

    /// <summary>Subscriptions in id order, by customer, plan and status (<c>active</c>: not ended now; <c>ended</c>).</summary>
    public Task<Page<Subscription>> ListSubscriptionsAsync(string tenantId, string? customerId, string? planCode, string? status, PageRequest page,
        CancellationToken cancellationToken = default)
        => Pages.ReadAsync(dataSource, ListSubscriptionsSql, [tenantId, Text(customerId), Text(planCode), Text(status), Now], page, ReadSubscription, s => s.Id, cancellationToken);

    public async Task<Page<Meter>> ListMetersAsync(string tenantId, PageRequest page, CancellationToken cancellationToken = default)
        => Pages.Of((await GetMetersAsync(tenantId, cancellationToken).ConfigureAwait(false)).Meters, page, m => m.Code);

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };

    /// <summary>Who holds a subject and when: the subscription holding it at <paramref name="at"/> is the event's. Read through
    /// a cache that this silo's writes refresh; <paramref name="fresh"/> reads PostgreSQL (after a grain refused a stale answer).</summary>
    public async ValueTask<SubjectHolds> ResolveSubjectAsync(string tenantId, string subject, bool fresh = false, CancellationToken cancellationToken = default)
    {
        if (!fresh && _subjects.TryGetValue((tenantId, subject), out SubjectHolds? cached))
        {
            return cached;
        }

        await using NpgsqlCommand command = dataSource.CreateCommand(SubjectHoldsSql);
        command.AddPositional(tenantId, subject);
        var holds = new List<SubjectHold>();
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                holds.Add(new SubjectHold(reader.GetString(0), ReadInstant(reader, 1), ReadInstant(reader, 2)));
            }
        }

        var result = new SubjectHolds(holds);
        _subjects[(tenantId, subject)] = result;
        return result;
    }

    /// <summary>Forgets what this silo cached of a subscription and its subjects (after a change of its lifecycle).</summary>
    public void Forget(string tenantId, string subscriptionId, IEnumerable<string> subjects)
    {
        _subscriptions.TryRemove((tenantId, subscriptionId), out _);
        foreach (string subject in subjects)
        {
            _subjects.TryRemove((tenantId, subject), out _);
        }
    }

    /// <summary>An infinite timestamp (PostgreSQL's ±infinity) as the smallest or largest instant.</summary>
    private static DateTimeOffset ReadInstant(NpgsqlDataReader reader, int ordinal)
    {
        DateTime value = reader.GetDateTime(ordinal);
        return value == DateTime.MinValue ? DateTimeOffset.MinValue : value == DateTime.MaxValue ? DateTimeOffset.MaxValue : new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc));
    }

    public DateTimeOffset Now => time.GetUtcNow();


    private static async Task<int> Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.AddPositional(values);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
