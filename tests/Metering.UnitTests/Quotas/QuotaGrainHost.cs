using System.Text.Json;
using Metering.Grains.Audit;
using Metering.Grains.Catalog;
using Metering.Grains.Events;
using Metering.Grains.Quotas;
using Metering.Grains.Subscriptions;
using Metering.Grains.Usage;
using Metering.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Metering.QuotaTesting;

/// <summary>A silo holding quota grains with their state in memory and stand-ins for the catalog and the subscription grain,
/// on a clock the caller sets. Shared by the quota grain tests and the check benchmark.</summary>
public static class QuotaGrainHost
{
    public const string Tenant = "t";
    public const string SubscriptionId = "sub_1";

    public static async Task<IHost> StartAsync(TimeProvider time)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(time);
        GrainTypeRegistry grains = builder.Services.AddGrainRuntime(new SiloOptions { Partitions = 16, CollectionInterval = TimeSpan.FromHours(1) });
        grains.Add<IQuotaGrain, QuotaGrain>();
        grains.Add<ISubscriptionGrain, CommittingSubscriptionGrain>();
        builder.Services.AddSingleton<ICatalogReader, FixedCatalog>();
        builder.Services.AddSingleton<ScriptedQuotaStore>();
        builder.Services.AddSingleton<IQuotaStore>(sp => sp.GetRequiredService<ScriptedQuotaStore>());
        builder.Services.AddSingleton<CountingAudit>();
        builder.Services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<CountingAudit>());
        builder.Services.AddSingleton<SubscriptionLedger>();
        builder.Services.AddSingleton<RecordedNotices>();
        builder.Services.AddSingleton<IQuotaNotifications>(sp => sp.GetRequiredService<RecordedNotices>());
        IHost host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static IQuotaGrain Quota(this IHost host, string meter = "calls", string subscriptionId = SubscriptionId)
        => host.Services.GetRequiredService<IGrainFactory>().GetGrain<IQuotaGrain>(QuotaKey.Of(Tenant, subscriptionId, meter));
}

/// <summary>One subscription (sub_1) with a count meter (calls), a sum meter (tokens) and a sum of a nested property (nested).</summary>
internal sealed class FixedCatalog : ICatalogReader
{
    public static readonly TenantMeters Meters = new(
    [
        new Meter("calls", "api_call", Aggregation.Count, null, [], DateTimeOffset.UnixEpoch),
        new Meter("tokens", "llm", Aggregation.Sum, "tokens", [], DateTimeOffset.UnixEpoch),
        new Meter("nested", "chat", Aggregation.Sum, "usage.prompt.tokens", [], DateTimeOffset.UnixEpoch),
    ]);

    private static readonly Subscription s_subscription = new(QuotaGrainHost.SubscriptionId, "cust_1", "pro", BillingInterval.Month,
        DateTimeOffset.UnixEpoch, ["agent:a"], DateTimeOffset.UnixEpoch);

    /// <summary>Meters a test has deleted from the catalog.</summary>
    public HashSet<string> Removed { get; } = [];

    public ValueTask<TenantMeters> GetMetersAsync(string tenantId, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Removed.Count == 0 ? Meters : new TenantMeters([.. Meters.Meters.Where(m => !Removed.Contains(m.Code))]));

    public ValueTask<Subscription?> GetSubscriptionAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(subscriptionId == s_subscription.Id ? s_subscription : null);
}

/// <summary>The log as the quota grain sees it: what the test puts in <see cref="Events"/> and <see cref="LastSeq"/>, and a
/// record of the meters registered.</summary>
public sealed class ScriptedQuotaStore : IQuotaStore
{
    public List<QuotaEvent> Events { get; } = [];

    public long LastSeq { get; set; }

    public List<string> Registered { get; } = [];

    /// <summary>Each checkpoint written with no crossing to record: (quota key, sequence).</summary>
    public List<(string Quota, long Seq)> Checked { get; } = [];

    public Task RegisterAsync(string tenantId, string subscriptionId, string meterCode, CancellationToken cancellationToken = default)
    {
        Registered.Add($"{tenantId}/{subscriptionId}#{meterCode}");
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListMetersAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default)
        => Task.FromResult<IReadOnlyList<string>>([]);

    public Task MarkCheckedAsync(string tenantId, string subscriptionId, string meterCode, long seq, CancellationToken cancellationToken = default)
    {
        Checked.Add(($"{tenantId}/{subscriptionId}#{meterCode}", seq));
        return Task.CompletedTask;
    }

    public Task<long> LastSeqAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default) => Task.FromResult(LastSeq);

    public Task<(IReadOnlyList<QuotaEvent> Events, long LastSeq)> LoadAsync(string tenantId, string subscriptionId, Meter meter, QuotaEpoch epoch, CancellationToken cancellationToken = default)
        => Task.FromResult<(IReadOnlyList<QuotaEvent>, long)>(([.. Events], LastSeq));
}

/// <summary>The quota notifications recorded; recording fails while <see cref="Fail"/> is set.</summary>
public sealed class RecordedNotices : IQuotaNotifications
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<QuotaNotice> _notices = new();

    public bool Fail { get; set; }

    public IReadOnlyList<QuotaNotice> Notices => [.. _notices];

    public Task RecordAsync(QuotaNotice notice, CancellationToken cancellationToken = default)
    {
        if (Fail)
        {
            return Task.FromException(new InvalidOperationException("the outbox is unreachable"));
        }

        _notices.Enqueue(notice);
        return Task.CompletedTask;
    }
}

/// <summary>The audit entries recorded.</summary>
public sealed class CountingAudit : IAuditLog
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<AuditEntry> _entries = new();

    public int Count => _entries.Count;

    public IReadOnlyList<AuditEntry> Entries => [.. _entries];

    public void Record(AuditEntry entry) => _entries.Enqueue(entry);
}

/// <summary>What the subscription grain stand-in was asked, and how it behaves: failing, or holding commits until released.</summary>
public sealed class SubscriptionLedger
{
    public bool Fail { get; set; }

    public TaskCompletionSource? Hold { get; set; }

    /// <summary>Gates taken by ingest calls in the order they run: the first call waits for the first gate, and so on.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<TaskCompletionSource> Gates { get; } = new();

    /// <summary>The subscription's last committed sequence (the log's, when a test scripts one).</summary>
    public long Seq { get; set; }

    public List<string> Watched { get; } = [];

    public List<IncomingEvent> Ingested { get; } = [];
}

/// <summary>Stands in for the subscription grain: "commits" each new key in memory (after yielding, as a real commit would),
/// answers a repeated key as a duplicate, and passes committed events to the quota grain as the real one does.</summary>
internal sealed class CommittingSubscriptionGrain(IGrainContext context, TimeProvider time, SubscriptionLedger ledger) : Grain, ISubscriptionGrain
{
    private readonly Dictionary<string, IngestOutcome> _stored = new(StringComparer.Ordinal);

    public async Task<IngestOutcome[]> IngestAsync(IReadOnlyList<IncomingEvent> events)
    {
        await Task.Yield();
        if (ledger.Hold is { } hold)
        {
            await hold.Task;
        }

        if (ledger.Gates.TryDequeue(out TaskCompletionSource? gate))
        {
            await gate.Task;
        }

        if (ledger.Fail)
        {
            throw new InvalidOperationException("The log is unavailable.");
        }

        ledger.Ingested.AddRange(events);
        Meter meter = FixedCatalog.Meters.ByEventType[events[0].EventType][0];
        var outcomes = new IngestOutcome[events.Count];
        var committed = new List<QuotaEvent>(events.Count);
        for (int i = 0; i < events.Count; i++)
        {
            if (_stored.TryGetValue(events[i].IdempotencyKey, out IngestOutcome? first))
            {
                outcomes[i] = first with { Status = IngestStatus.Duplicate };
                continue;
            }

            outcomes[i] = _stored[events[i].IdempotencyKey] = new IngestOutcome(IngestStatus.Created, Guid.NewGuid(), ++ledger.Seq);
            using JsonDocument properties = JsonDocument.Parse(events[i].PropertiesJson);
            committed.Add(QuotaEvent.Read(meter, ledger.Seq, events[i].IdempotencyKey, events[i].Timestamp, time.GetUtcNow(), properties.RootElement));
        }

        _ = context.GrainFactory.GetGrain<IQuotaGrain>(QuotaKey.Of(QuotaGrainHost.Tenant, QuotaGrainHost.SubscriptionId, meter.Code)).OnEventsAsync(committed);
        return outcomes;
    }

    public Task<UsageCells> GetCellsAsync(UsageQuery query) => Task.FromResult(UsageCells.NotHeld);

    public Task WatchQuotaAsync(string meterCode)
    {
        ledger.Watched.Add(meterCode);
        return Task.CompletedTask;
    }

    public Task<FencingToken> ReloadClosedPeriodsAsync() => Task.FromResult(new FencingToken("test", 0, 1));

    public Task SnapshotAsync() => Task.CompletedTask;

    public Task<CancelOutcome> CancelAsync(CancelRequest request) => throw new NotSupportedException("Quota tests never cancel.");

    public Task<SubjectChangeOutcome> AddSubjectAsync(SubjectChange change) => throw new NotSupportedException("Quota tests never change subjects.");

    public Task<SubjectChangeOutcome> RemoveSubjectAsync(SubjectChange change) => throw new NotSupportedException("Quota tests never change subjects.");
}
