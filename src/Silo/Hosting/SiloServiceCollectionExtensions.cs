using Metering.Grains.Catalog;
using Metering.Grains.Events;
using Metering.Grains.Audit;
using Metering.Grains.Pricing;
using Metering.Grains.Quotas;
using Metering.Grains.Subscriptions;
using Metering.Runtime;
using Metering.Silo.ApiKeys;
using Metering.Silo.Audit;
using Metering.Silo.Billing;
using Metering.Silo.Catalog;
using Metering.Silo.Events;
using Metering.Silo.Quotas;
using Metering.Silo.Signing;
using Metering.Silo.Usage;
using Metering.Silo.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Metering.Silo.Hosting;

public static class SiloServiceCollectionExtensions
{
    /// <summary>The default connection string, for a PostgreSQL on this machine (the scripts pass METERING_DB).</summary>
    public const string DefaultDb = "Host=localhost;Port=5432;Username=postgres;Database=metering";

    /// <summary>Adds a silo on PostgreSQL with the metering grains. Configuration: METERING_DB (or Metering:Db), and the sections
    /// Silo, EventLog, Rollup, Subscriptions, Rerating, ApiKeys and Webhooks.</summary>
    public static IServiceCollection AddMeteringSilo(this IServiceCollection services, IConfiguration configuration)
    {
        string connectionString = configuration["METERING_DB"] ?? configuration["Metering:Db"] ?? DefaultDb;
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxPoolSize < 50)
        {
            builder.MaxPoolSize = 50;
        }

        // Each silo's pool has a name of its own, so its metrics are told apart from other pools in the process.
        string poolName = "metering-" + Guid.NewGuid().ToString("N")[..12];
        services.AddSingleton(_ => new PostgresPoolMetrics(poolName));
        services.AddSingleton(sp =>
        {
            // The listener starts before the pool, so it sees every change of the pool's counters.
            _ = sp.GetRequiredService<PostgresPoolMetrics>();
            return new NpgsqlDataSourceBuilder(builder.ConnectionString) { Name = poolName }.Build();
        });
        services.AddSingleton(Bind<EventLogOptions>(configuration, "EventLog"));
        services.AddSingleton(Bind<RollupOptions>(configuration, "Rollup"));
        services.AddSingleton(Bind<SubscriptionGrainOptions>(configuration, "Subscriptions"));
        services.AddSingleton<CatalogStore>();
        services.AddApiKeys(configuration);
        services.AddWebhooks(configuration);
        services.AddSingleton<ICatalogReader>(sp => sp.GetRequiredService<CatalogStore>());
        services.AddSingleton<PostgresEventLog>();
        services.AddSingleton<IEventLog>(sp => sp.GetRequiredService<PostgresEventLog>());
        services.AddSingleton<IGrainStorage, PostgresGrainStorage>();
        services.AddSingleton(_ => new MembershipDatabase(builder.ConnectionString));
        services.AddSingleton<IMembership>(sp => new PostgresMembership(sp.GetRequiredService<MembershipDatabase>().DataSource, sp.GetRequiredService<SiloOptions>()));
        services.AddSingleton<DatabaseProbe>();
        services.AddSingleton<SecretProtector>();
        services.AddSingleton<SigningKeyStore>();
        services.AddSingleton<AuditSummary>();
        services.AddSingleton<UsageHistory>();
        services.AddSingleton<RollupJob>();
        services.AddSingleton<PostgresQuotaStore>();
        services.AddSingleton<IQuotaStore>(sp => sp.GetRequiredService<PostgresQuotaStore>());
        services.AddSingleton<PostgresAuditLog>();
        services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<PostgresAuditLog>());
        services.AddSingleton<UsageReader>();
        services.AddSingleton<MinuteUsageReader>();
        services.AddSingleton<BillingStore>();
        services.AddSingleton<IClosedPeriods>(sp => sp.GetRequiredService<BillingStore>());
        services.AddSingleton<SubscriptionLifecycleStore>();
        services.AddSingleton<ISubscriptionLifecycle>(sp => sp.GetRequiredService<SubscriptionLifecycleStore>());
        services.AddSingleton<InvoiceService>();
        services.AddSingleton<Metering.Silo.Subscriptions.SubscriptionLifecycleService>();
        services.AddSingleton<BillingRunService>();
        services.AddSingleton(Bind<ReratingOptions>(configuration, "Rerating"));
        services.AddSingleton<ReratingService>();

        // Hosted services start in registration order: migrations before the silo claims partitions.
        services.AddHostedService<MigrationService>();
        SiloOptions siloOptions = Bind<SiloOptions>(configuration, "Silo");
        siloOptions.ClusterSecret ??= configuration["METERING_CLUSTER_SECRET"];
        GrainTypeRegistry grains = services.AddGrainRuntime(siloOptions);
        grains.Add<ISubscriptionGrain, SubscriptionGrain>();
        grains.Add<IQuotaGrain, QuotaGrain>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresAuditLog>());
        services.AddHostedService(sp => sp.GetRequiredService<ApiKeyUsageWriter>());
        services.AddHostedService<RollupService>();
        services.AddHostedService<NoncePurgeService>();
        services.AddHostedService(sp => sp.GetRequiredService<BillingRunService>());
        services.AddHostedService(sp => sp.GetRequiredService<ReratingService>());
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.AddSingleton<QuotaRecovery>();
        services.AddHostedService(sp => sp.GetRequiredService<QuotaRecovery>());
        return services;
    }

    /// <summary>Webhooks (section <c>Webhooks</c>): endpoints, the outbox and its dispatcher, on the keyed clock
    /// <see cref="WebhookClock.Key"/>. The host that serves the API registers <see cref="IResourceJson"/>.</summary>
    private static void AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddKeyedSingleton<TimeProvider>(WebhookClock.Key, (sp, _) => sp.GetRequiredService<TimeProvider>());
        services.AddSingleton(Bind<WebhookOptions>(configuration, "Webhooks"));
        services.AddSingleton<WebhookOutbox>();
        services.AddSingleton<WebhookEndpointStore>();
        services.AddSingleton<WebhookDeliveryStore>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookUrlPolicy>();
        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddSingleton<IQuotaNotifications, QuotaNotificationWriter>();
    }

    /// <summary>API keys: the store, the per-silo cache that authenticates them, and the writer of their last use. API access
    /// runs on the keyed clock <see cref="AccessClock.Key"/>, the application's clock unless a host registers its own.</summary>
    private static void AddApiKeys(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddKeyedSingleton<TimeProvider>(AccessClock.Key, (sp, _) => sp.GetRequiredService<TimeProvider>());
        services.AddSingleton(Bind<ApiKeyOptions>(configuration, "ApiKeys"));
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<IApiKeyLookup>(sp => sp.GetRequiredService<ApiKeyStore>());
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<ApiKeyUsageWriter>();
    }

    private static T Bind<T>(IConfiguration configuration, string section) where T : new()
    {
        var options = new T();
        configuration.GetSection(section).Bind(options);
        return options;
    }
}
