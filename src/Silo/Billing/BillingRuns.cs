using Metering.Grains;
using Metering.Grains.Catalog;
using Metering.Grains.Webhooks;
using Metering.Runtime;
using Metering.Silo.Webhooks;
using Metering.Silo.Catalog;
using Microsoft.Extensions.Logging;
using Metering.Silo.Listing;
using Npgsql;

namespace Metering.Silo.Billing;

/// <summary>Billing runs: a draft invoice for every subscription period ended before a time that has none. A run works in the
/// background and reports its progress; running it again creates no second invoice (the unique index decides). A run that a
/// stop interrupted starts again from the beginning: what it generated is skipped as already invoiced.</summary>
public sealed class BillingRunService(NpgsqlDataSource dataSource, InvoiceService invoices, BillingStore store, CatalogStore catalog, WebhookOutbox outbox, Runtime.Silo silo,
    TimeProvider time, ILogger<BillingRunService> logger)
    : QueuedJobService<(string Tenant, Guid Id, DateTimeOffset Before)>(dataSource, silo, logger)
{
    /// <summary>Invoices generated at once by a run.</summary>
    public const int Parallelism = 4;

    private const string InsertSql = "INSERT INTO billing_runs (id, tenant_id, period_end_before, status, created_at, runner) VALUES ($1, $2, $3, 'running', $4, $5)";
    private const string RunColumns = "id, period_end_before, status, total, done, failed, created, created_at, completed_at";
    private const string SelectSql = "SELECT " + RunColumns + " FROM billing_runs WHERE tenant_id = $1 AND id = $2";
    private const string ListSql = "SELECT " + RunColumns + """
         FROM billing_runs
        WHERE tenant_id = $1 AND ($2::text IS NULL OR (created_at, id) > (SELECT created_at, id FROM billing_runs WHERE tenant_id = $1 AND id::text = $2))
        ORDER BY created_at, id LIMIT $3
        """;
    private const string ProgressSql = "UPDATE billing_runs SET total = $3, done = $4, failed = $5, created = $6, status = $7, completed_at = $8 WHERE tenant_id = $1 AND id = $2 RETURNING " + RunColumns;
    private const string RecentSql = "SELECT " + RunColumns + ", tenant_id FROM billing_runs WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY created_at DESC LIMIT $2";

    protected override string ClaimOrphansSql => "UPDATE billing_runs SET runner = $1 WHERE status = 'running' AND " + Orphaned + " RETURNING tenant_id, id, period_end_before";

    public async Task<Guid> StartAsync(string tenant, DateTimeOffset periodEndBefore, CancellationToken ct = default)
    {
        var id = Guid.NewGuid();
        await using NpgsqlCommand command = DataSource.CreateCommand(InsertSql);
        command.AddPositional(id, tenant, periodEndBefore, time.GetUtcNow(), SiloId);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await EnqueueAsync((tenant, id, periodEndBefore), ct).ConfigureAwait(false);
        return id;
    }

    public async Task<BillingRun?> GetAsync(string tenant, Guid id, CancellationToken ct = default)
    {
        await using NpgsqlCommand command = DataSource.CreateCommand(SelectSql);
        command.AddPositional(tenant, id);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadRun(reader) : null;
    }

    /// <summary>A tenant's billing runs in the order they were started.</summary>
    public Task<Page<BillingRun>> ListAsync(string tenant, PageRequest page, CancellationToken ct = default)
        => Pages.ReadAsync(DataSource, ListSql, [tenant], page, ReadRun, r => r.Id.ToString(), ct);

    /// <summary>The latest runs, newest first, of one tenant or (<paramref name="tenant"/> null) of all: the dashboard's view.</summary>
    public async Task<IReadOnlyList<(string Tenant, BillingRun Run)>> RecentAsync(string? tenant, int limit, CancellationToken ct = default)
    {
        await using NpgsqlCommand command = DataSource.CreateCommand(RecentSql);
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = tenant, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var runs = new List<(string, BillingRun)>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            runs.Add((reader.GetString(9), ReadRun(reader)));
        }

        return runs;
    }

    private static BillingRun ReadRun(NpgsqlDataReader reader)
        => new(reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1), WireName.ParseWire<JobStatus>(reader.GetString(2)), reader.GetInt32(3), reader.GetInt32(4),
            reader.GetInt32(5), reader.GetInt32(6), reader.GetFieldValue<DateTimeOffset>(7), reader.GetFieldValue<DateTimeOffset?>(8));

    protected override (string Tenant, Guid Id, DateTimeOffset Before) ReadUnfinished(NpgsqlDataReader reader)
        => (reader.GetString(0), reader.GetGuid(1), reader.GetFieldValue<DateTimeOffset>(2));

    protected override async Task RunAsync((string Tenant, Guid Id, DateTimeOffset Before) run, CancellationToken ct)
    {
        (string tenant, Guid id, DateTimeOffset before) = run;
        HashSet<(string, DateTimeOffset)> invoiced = await store.InvoicedPeriodsAsync(tenant, ct).ConfigureAwait(false);
        List<(Subscription Subscription, BillingPeriod Period)> work = [.. (await catalog.SubscriptionsStartedBeforeAsync(tenant, before, ct).ConfigureAwait(false))
            .SelectMany(s => s.PeriodsEndedBy(before).Select(p => (Subscription: s, Period: p)))
            .Where(w => !invoiced.Contains((w.Subscription.Id, w.Period.Start)))];

        int done = 0, failed = 0, created = 0;
        await ReportAsync(tenant, id, work.Count, 0, 0, 0, completed: false, ct).ConfigureAwait(false);
        var cache = new BillingCache();
        using var progress = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        Task reporter = Task.Run(async () =>
        {
            while (await progress.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                await ReportAsync(tenant, id, work.Count, Volatile.Read(ref done), Volatile.Read(ref failed), Volatile.Read(ref created), false, ct).ConfigureAwait(false);
            }
        }, ct);
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (item, token) =>
        {
            try
            {
                InvoiceOutcome outcome = await invoices.CreateForPeriodAsync(tenant, item.Subscription, item.Period, cache, token).ConfigureAwait(false);
                if (outcome.Invoice is not null)
                {
                    Interlocked.Increment(ref created);
                }
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Billing run {Run}: subscription {Subscription} period {Start} failed", id, item.Subscription.Id, item.Period.Start);
                Interlocked.Increment(ref failed);
                return;
            }

            Interlocked.Increment(ref done);
        }).ConfigureAwait(false);
        progress.Dispose();
        await reporter.ConfigureAwait(false);
        await ReportAsync(tenant, id, work.Count, done, failed, created, completed: true, ct).ConfigureAwait(false);
    }

    /// <summary>Writes the run's progress; its completion with the <c>billing_run.completed</c> notification, in one transaction.</summary>
    private async Task ReportAsync(string tenant, Guid id, int total, int done, int failed, int created, bool completed, CancellationToken ct)
    {
        await using NpgsqlConnection connection = await DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(ProgressSql, connection, transaction);
        command.AddPositional(tenant, id, total, done, failed, created, (completed ? JobStatus.Completed : JobStatus.Running).ToWire(), completed ? time.GetUtcNow() : DBNull.Value);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        BillingRun? run = await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadRun(reader) : null;
        await reader.DisposeAsync().ConfigureAwait(false);
        if (completed && run is not null)
        {
            await outbox.WriteAsync(connection, transaction, outbox.ForTenant(tenant, NotificationType.BillingRunCompleted, outbox.Resources.BillingRun(run)), ct).ConfigureAwait(false);
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }
}
