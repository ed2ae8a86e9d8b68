using System.Collections.Concurrent;
using Metering.Grains;
using Metering.Grains.Catalog;
using Metering.Silo.ApiKeys;
using Npgsql;

namespace Metering.Silo.Catalog;

public enum CreateResult
{
    Created,
    AlreadyExists,
    Conflict,
    NotFound,
}

/// <summary>Tenants and the catalog in PostgreSQL, with in-process caches for the hot lookups (subject → subscription,
/// tenant → meters). Writes through this store refresh the caches. API keys are <see cref="ApiKeyStore"/>'s.</summary>
public sealed class CatalogStore(NpgsqlDataSource dataSource, TimeProvider time) : ICatalogReader
{
    private const string InsertTenantSql = "INSERT INTO tenants (id) VALUES ($1) ON CONFLICT DO NOTHING";
    private const string InsertMeterSql = "INSERT INTO meters (tenant_id, code, event_type, aggregation, value_property, group_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
    private const string SelectMetersSql = "SELECT code, event_type, aggregation, value_property, group_by, created_at FROM meters WHERE tenant_id = $1 ORDER BY code";
    private const string InsertCustomerSql = "INSERT INTO customers (tenant_id, id, name, currency, tax_rate, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
    private const string SelectCustomerSql = "SELECT id, name, currency, tax_rate, created_at FROM customers WHERE tenant_id = $1 AND id = $2";
    private const string InsertPlanSql = "INSERT INTO plans (tenant_id, code, currency, billing_interval, fixed_fee, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
    private const string SelectPlanSql = "SELECT code, currency, billing_interval, fixed_fee, created_at FROM plans WHERE tenant_id = $1 AND code = $2";
    private const string InsertSubscriptionSql = "INSERT INTO subscriptions (tenant_id, id, customer_id, plan_code, started_at, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
    private const string InsertSubjectsSql = "INSERT INTO subscription_subjects (tenant_id, subject, subscription_id) SELECT $1, s, $2 FROM unnest($3::text[]) s";
    private const string SubscriptionsSql = """
        SELECT s.id, s.customer_id, s.plan_code, p.billing_interval, s.started_at, s.created_at,
               coalesce((SELECT array_agg(subject ORDER BY subject) FROM subscription_subjects x WHERE x.tenant_id = s.tenant_id AND x.subscription_id = s.id), '{}')
        FROM subscriptions s JOIN plans p ON p.tenant_id = s.tenant_id AND p.code = s.plan_code
        """;
    private const string SelectSubscriptionSql = SubscriptionsSql + " WHERE s.tenant_id = $1 AND s.id = $2";
    private const string SubscriptionsStartedBeforeSql = SubscriptionsSql + " WHERE s.tenant_id = $1 AND s.started_at < $2";
    private const string SubjectSql = "SELECT subscription_id FROM subscription_subjects WHERE tenant_id = $1 AND subject = $2";

    private readonly ConcurrentDictionary<string, TenantMeters> _meters = new();
    private readonly ConcurrentDictionary<(string, string), string> _subscriptionBySubject = new();
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
                meters.Add(new Meter(reader.GetString(0), reader.GetString(1), WireName.ParseWire<Aggregation>(reader.GetString(2)), reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.GetFieldValue<string[]>(4), reader.GetFieldValue<DateTimeOffset>(5)));
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
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new Customer(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetDecimal(3), reader.GetFieldValue<DateTimeOffset>(4))
            : null;
    }

    public async Task<CreateResult> CreatePlanAsync(string tenantId, Plan plan, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(InsertPlanSql);
        command.AddPositional(tenantId, plan.Code, plan.Currency, plan.Interval.ToWire(), plan.FixedFee, plan.CreatedAt);
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

        return new Plan(reader.GetString(0), reader.GetString(1), WireName.ParseWire<BillingInterval>(reader.GetString(2)), reader.GetDecimal(3), reader.GetFieldValue<DateTimeOffset>(4));
    }

    /// <summary>Creates a subscription and claims its subjects. AlreadyExists: the id is taken; Conflict: a subject belongs to another
    /// subscription; NotFound: the customer or plan does not exist.</summary>
    public async Task<CreateResult> CreateSubscriptionAsync(string tenantId, Subscription subscription, CancellationToken cancellationToken = default)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int rows = await Execute(connection, transaction, InsertSubscriptionSql, cancellationToken, tenantId, subscription.Id, subscription.CustomerId, subscription.PlanCode, subscription.StartedAt.ToUniversalTime(), subscription.CreatedAt).ConfigureAwait(false);
            if (rows == 0)
            {
                return CreateResult.AlreadyExists;
            }

            await Execute(connection, transaction, InsertSubjectsSql, cancellationToken, tenantId, subscription.Id, subscription.Subjects.ToArray()).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return CreateResult.Created;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return CreateResult.Conflict;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return CreateResult.NotFound;
        }
    }

    public async ValueTask<Subscription?> GetSubscriptionAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default)
    {
        if (_subscriptions.TryGetValue((tenantId, subscriptionId), out Subscription? cached))
        {
            return cached;
        }

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
            reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<string[]>(6), reader.GetFieldValue<DateTimeOffset>(5));

    /// <summary>The subscription a subject belongs to, or null.</summary>
    public async ValueTask<string?> ResolveSubjectAsync(string tenantId, string subject, CancellationToken cancellationToken = default)
    {
        if (_subscriptionBySubject.TryGetValue((tenantId, subject), out string? cached))
        {
            return cached;
        }

        await using NpgsqlCommand command = dataSource.CreateCommand(SubjectSql);
        command.AddPositional(tenantId, subject);
        string? id = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        if (id is not null)
        {
            _subscriptionBySubject[(tenantId, subject)] = id;
        }

        return id;
    }

    public DateTimeOffset Now => time.GetUtcNow();


    private static async Task<int> Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.AddPositional(values);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
