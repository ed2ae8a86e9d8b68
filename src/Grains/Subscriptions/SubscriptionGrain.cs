using System.Text.Json;
using Metering.Grains.Catalog;
using Metering.Grains.Events;
using Metering.Grains.Pricing;
using Metering.Grains.Quotas;
using Metering.Grains.Usage;
using Metering.Runtime;
using Microsoft.Extensions.Logging;

namespace Metering.Grains.Subscriptions;

public sealed class SubscriptionGrain : Grain, ISubscriptionGrain
{
    private readonly IPersistentState<SubscriptionSnapshot> _state;
    private readonly IEventLog _log;
    private readonly ICatalogReader _catalog;
    private readonly IQuotaStore _quotas;
    private readonly IClosedPeriods _closedPeriods;
    private readonly ISubscriptionLifecycle _lifecycle;
    private readonly TimeProvider _time;
    private readonly SubscriptionGrainOptions _options;
    private readonly ILogger<SubscriptionGrain> _logger;
    private readonly Dictionary<string, Task<IngestOutcome>> _inFlight = new(StringComparer.Ordinal);
    private readonly Queue<PendingAppend> _pending = new();
    private readonly RecentKeys _recent;
    private string _tenantId = string.Empty;
    private string _subscriptionId = string.Empty;
    private TenantMeters _meters = new([]);
    private readonly HashSet<string> _quotaMeters = new(StringComparer.Ordinal);
    private Dictionary<string, List<Meter>> _quotaMetersByEventType = new(StringComparer.Ordinal);
    private IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> _closed = [];
    private DateTimeOffset? _endedAt;
    private List<HeldSubject> _held = [];
    private bool _dirty;
    private bool _poisoned;

    public SubscriptionGrain(IGrainContext context, PersistentStateFactory states, IEventLog log, ICatalogReader catalog, IQuotaStore quotas, IClosedPeriods closedPeriods, ISubscriptionLifecycle lifecycle, TimeProvider time, SubscriptionGrainOptions options, ILogger<SubscriptionGrain> logger)
    {
        _state = states.Create<SubscriptionSnapshot>(context, "subscription");
        _log = log;
        _catalog = catalog;
        _quotas = quotas;
        _closedPeriods = closedPeriods;
        _lifecycle = lifecycle;
        _time = time;
        _options = options;
        _logger = logger;
        _recent = new RecentKeys(options.RecentKeys);
    }

    private sealed record PendingAppend(Task<IngestOutcome[]> Append, IReadOnlyList<IncomingEvent> Events, TaskCompletionSource<IngestOutcome>[] Results);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_tenantId, _subscriptionId) = SubscriptionKey.Parse(GrainKey);
        Subscription subscription = await _catalog.GetSubscriptionAsync(_tenantId, _subscriptionId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Subscription {_subscriptionId} of tenant {_tenantId} does not exist.");
        _meters = await _catalog.GetMetersAsync(_tenantId, cancellationToken).ConfigureAwait(false);
        _quotaMeters.UnionWith(await _quotas.ListMetersAsync(_tenantId, _subscriptionId, cancellationToken).ConfigureAwait(false));
        IndexQuotaMeters();
        _closed = await _closedPeriods.ListAsync(_tenantId, _subscriptionId, cancellationToken).ConfigureAwait(false);
        // Read past every cache: only this grain changes the end, and another silo may have done so before the partition moved.
        _endedAt = await _lifecycle.EndOfAsync(_tenantId, _subscriptionId, cancellationToken).ConfigureAwait(false);
        _held = [.. await _lifecycle.HeldSubjectsAsync(_tenantId, _subscriptionId, cancellationToken).ConfigureAwait(false)];
        await _state.ReadStateAsync(cancellationToken).ConfigureAwait(false);
        SubscriptionSnapshot snapshot = _state.State;
        if (_state.Version == 0 || snapshot.MetersFingerprint != _meters.Fingerprint)
        {
            ResetBuckets(subscription.PeriodAt(_time.GetUtcNow()).Start);
        }

        await ReplayAsync(cancellationToken).ConfigureAwait(false);
        RegisterTimer(SnapshotIfChangedAsync, _options.SnapshotInterval, _options.SnapshotInterval);
    }

    public override Task OnDeactivateAsync(CancellationToken cancellationToken) => SnapshotIfChangedAsync();

    public async Task<IngestOutcome[]> IngestAsync(IReadOnlyList<IncomingEvent> events)
    {
        var outcomes = new IngestOutcome[events.Count];
        if (_poisoned)
        {
            Array.Fill(outcomes, IngestOutcome.Failed("The subscription is reloading; retry with the same idempotency key."));
            return outcomes;
        }

        await EnsureMetersCurrentAsync().ConfigureAwait(false);
        var append = new List<int>(events.Count);
        var results = new List<TaskCompletionSource<IngestOutcome>>(events.Count);
        List<(int Index, Task<IngestOutcome> First)>? waiting = null;
        for (int i = 0; i < events.Count; i++)
        {
            IncomingEvent e = events[i];
            if (Refusal(e) is { } refused)
            {
                outcomes[i] = refused;
            }
            else if (_recent.Settle(e) is { } settled)
            {
                outcomes[i] = settled; // a retry of a key this activation stored
            }
            else if (_inFlight.TryGetValue(e.IdempotencyKey, out Task<IngestOutcome>? first))
            {
                // A concurrent duplicate: decided after the first, by the log, which compares payloads with the stored event.
                (waiting ??= []).Add((i, first));
            }
            else
            {
                var result = new TaskCompletionSource<IngestOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
                _inFlight[e.IdempotencyKey] = result.Task;
                append.Add(i);
                results.Add(result);
            }
        }

        if (append.Count > 0)
        {
            IngestOutcome[] appended = await AppendAndApplyAsync([.. append.Select(i => events[i])], [.. results]).ConfigureAwait(false);
            for (int j = 0; j < appended.Length; j++)
            {
                outcomes[append[j]] = appended[j];
            }
        }

        if (waiting is not null)
        {
            await IngestAfterFirstsAsync(events, waiting, outcomes).ConfigureAwait(false);
        }

        return outcomes;
    }

    /// <summary>Why this grain refuses the event without asking the log: the subscription ended before it, did not hold its
    /// subject then, or its period is invoiced and finalized; null when it goes to the log.</summary>
    private IngestOutcome? Refusal(IncomingEvent e)
    {
        if (_endedAt is { } end && e.Timestamp >= end)
        {
            return new IngestOutcome(IngestStatus.SubscriptionEnded, Guid.Empty, 0, $"Subscription '{_subscriptionId}' ended at {end:O}.");
        }

        if (!Holds(e.Subject, e.Timestamp))
        {
            return new IngestOutcome(IngestStatus.SubjectNotHeld, Guid.Empty, 0, $"Subscription '{_subscriptionId}' did not hold '{e.Subject}' at the event's time.");
        }

        return IsClosed(e.Timestamp) ? new IngestOutcome(IngestStatus.PeriodClosed, Guid.Empty, 0, "The event falls in a billing period whose invoice is finalized.") : null;
    }

    /// <summary>Events whose key was in flight when they came: once the first copies are settled (the turn released meanwhile),
    /// they are ingested again, and the log settles them against what it stored.</summary>
    private async Task IngestAfterFirstsAsync(IReadOnlyList<IncomingEvent> events, List<(int Index, Task<IngestOutcome> First)> waiting, IngestOutcome[] outcomes)
    {
        await WhileTurnReleased(Task.WhenAll(waiting.Select(w => w.First))).ConfigureAwait(false);
        IngestOutcome[] again = await IngestAsync([.. waiting.Select(w => events[w.Index])]).ConfigureAwait(false);
        for (int j = 0; j < again.Length; j++)
        {
            outcomes[waiting[j].Index] = again[j];
        }
    }

    private async Task<IngestOutcome[]> AppendAndApplyAsync(IReadOnlyList<IncomingEvent> events, TaskCompletionSource<IngestOutcome>[] results)
    {
        var pending = new PendingAppend(_log.AppendAsync(_tenantId, _subscriptionId, events, Context.Fence), events, results);
        _pending.Enqueue(pending);
        // Appends of one partition commit in order, so ours completes after every earlier one: apply them all, in order.
        while (!pending.Append.IsCompleted || _pending.Contains(pending))
        {
            await ApplyNextAppendAsync().ConfigureAwait(false);
        }

        return await Task.WhenAll(results.Select(r => r.Task)).ConfigureAwait(false);
    }

    /// <summary>Waits, with the turn released, for the oldest append in flight, then applies every completed one in order.</summary>
    private async Task ApplyNextAppendAsync()
    {
        Task<IngestOutcome[]> head = _pending.Peek().Append;
        await WhileTurnReleased(head.ContinueWith(static _ => true, TaskScheduler.Default)).ConfigureAwait(false);
        DrainCompleted();
    }

    private void DrainCompleted()
    {
        while (_pending.Count > 0 && _pending.Peek().Append.IsCompleted)
        {
            PendingAppend done = _pending.Dequeue();
            IngestOutcome[] outcomes;
            if (done.Append.IsCompletedSuccessfully)
            {
                outcomes = done.Append.Result;
            }
            else
            {
                // The commit may or may not have happened: memory can no longer be trusted. Reload from the log once idle.
                _logger.LogWarning(done.Append.Exception?.GetBaseException(), "Append for {Subscription} failed", GrainKey);
                _poisoned = true;
                outcomes = done.Events.Select(_ => IngestOutcome.Failed("The event could not be stored; retry with the same idempotency key.")).ToArray();
            }

            Dictionary<string, List<QuotaEvent>>? forQuotas = null;
            for (int i = 0; i < done.Events.Count; i++)
            {
                IncomingEvent e = done.Events[i];
                if (!_poisoned && outcomes[i].Status == IngestStatus.Created)
                {
                    long seq = outcomes[i].Seq;
                    List<Meter>? quotaMeters = _quotaMetersByEventType.GetValueOrDefault(e.EventType);
                    // The quotas' readings come from the same parse of the properties as the aggregates'.
                    Apply(e.EventType, e.Timestamp, e.PropertiesJson, seq, quotaMeters is null ? null : properties =>
                    {
                        forQuotas ??= new Dictionary<string, List<QuotaEvent>>(StringComparer.Ordinal);
                        foreach (Meter meter in quotaMeters)
                        {
                            if (!forQuotas.TryGetValue(meter.Code, out List<QuotaEvent>? list))
                            {
                                forQuotas[meter.Code] = list = [];
                            }

                            list.Add(QuotaEvent.Read(meter, seq, e.IdempotencyKey, e.Timestamp, e.ReceivedAt, properties));
                        }
                    });
                }

                if (outcomes[i].Status is IngestStatus.Created or IngestStatus.Duplicate)
                {
                    _recent.Add(e.IdempotencyKey, e.PayloadHash, outcomes[i].EventId);
                }

                _inFlight.Remove(e.IdempotencyKey);
                done.Results[i].SetResult(outcomes[i]);
            }

            if (forQuotas is not null)
            {
                foreach ((string meter, List<QuotaEvent> list) in forQuotas)
                {
                    // Not awaited: the call is queued on the quota grain now, in commit order, before any answer goes out,
                    // and a quota grain may itself be waiting on this grain (consume).
                    Observe(QuotaGrain(meter).OnEventsAsync(list));
                }
            }
        }

        if (_poisoned && _pending.Count == 0)
        {
            foreach (string meter in _quotaMeters)
            {
                Observe(QuotaGrain(meter).ResyncAsync());
            }

            DropActivation();
        }
    }

    public async Task<FencingToken> ReloadClosedPeriodsAsync()
    {
        _closed = await _closedPeriods.ListAsync(_tenantId, _subscriptionId).ConfigureAwait(false);
        await DrainAppendsAsync().ConfigureAwait(false);
        return Context.Fence;
    }

    /// <summary>Appends made before may still be in flight: waits until each is committed and applied.</summary>
    private async Task DrainAppendsAsync()
    {
        while (_pending.Count > 0)
        {
            await ApplyNextAppendAsync().ConfigureAwait(false);
        }
    }

    private bool Holds(string subject, DateTimeOffset at) => _held.Exists(h => h.Subject == subject && at >= h.From && at < h.To);

    public async Task<SubjectChangeOutcome> AddSubjectAsync(SubjectChange change)
    {
        SubjectChangeStatus status = await _lifecycle.AddSubjectAsync(_tenantId, _subscriptionId, change.Subject, change.At).ConfigureAwait(false);
        _held = [.. await _lifecycle.HeldSubjectsAsync(_tenantId, _subscriptionId).ConfigureAwait(false)];
        return new SubjectChangeOutcome(status, change.At);
    }

    public async Task<SubjectChangeOutcome> RemoveSubjectAsync(SubjectChange change)
    {
        // As a cancel: no event is taken meanwhile, and those accepted before are committed first.
        await DrainAppendsAsync().ConfigureAwait(false);
        DateTimeOffset at = change.At;
        if (await _lifecycle.NewestEventOfAsync(_tenantId, _subscriptionId, change.Subject).ConfigureAwait(false) is { } newest && newest >= at)
        {
            if (!change.AfterAcceptedEvents)
            {
                return new SubjectChangeOutcome(SubjectChangeStatus.EventsAfter);
            }

            at = newest.AddTicks(10);
        }

        SubjectChangeStatus status = await _lifecycle.RemoveSubjectAsync(_tenantId, _subscriptionId, change.Subject, at).ConfigureAwait(false);
        _held = [.. await _lifecycle.HeldSubjectsAsync(_tenantId, _subscriptionId).ConfigureAwait(false)];
        return new SubjectChangeOutcome(status, at);
    }

    public async Task<CancelOutcome> CancelAsync(CancelRequest request)
    {
        // No event is taken while this turn runs; those accepted before are committed first, so the newest is known.
        await DrainAppendsAsync().ConfigureAwait(false);
        if (_endedAt is { } ended && ended <= request.RequestedAt)
        {
            return CancelOutcome.Refused(CancelStatus.AlreadyEnded, $"Subscription '{_subscriptionId}' ended at {ended:O}.");
        }

        DateTimeOffset end = request.At;
        if (await _lifecycle.NewestEventAsync(_tenantId, _subscriptionId).ConfigureAwait(false) is { } newest && newest >= end)
        {
            if (!request.AfterAcceptedEvents)
            {
                return CancelOutcome.Refused(CancelStatus.EventsAfterEnd, $"An event stamped {newest:O} was accepted: the subscription cannot end before it.");
            }

            end = newest.AddTicks(10); // PostgreSQL keeps microseconds
        }

        CancelOutcome outcome = await _lifecycle.EndAsync(_tenantId, _subscriptionId, end, request.RequestedAt).ConfigureAwait(false);
        if (outcome.Status == CancelStatus.Canceled)
        {
            _endedAt = outcome.End;
        }

        return outcome;
    }

    private bool IsClosed(DateTimeOffset timestamp)
    {
        foreach ((DateTimeOffset from, DateTimeOffset to) in _closed)
        {
            if (timestamp >= from && timestamp < to)
            {
                return true;
            }
        }

        return false;
    }

    public async Task WatchQuotaAsync(string meterCode)
    {
        if (_quotaMeters.Add(meterCode))
        {
            await EnsureMetersCurrentAsync().ConfigureAwait(false);
            IndexQuotaMeters();
        }
    }

    private IQuotaGrain QuotaGrain(string meterCode) => Context.GrainFactory.GetGrain<IQuotaGrain>(QuotaKey.Of(_tenantId, _subscriptionId, meterCode));

    private void IndexQuotaMeters()
        => _quotaMetersByEventType = _quotaMeters
            .Select(code => _meters.Find(code))
            .OfType<Meter>()
            .GroupBy(m => m.EventType, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

    private void Observe(Task call)
    {
        if (!call.IsCompletedSuccessfully)
        {
            _ = call.ContinueWith(
                t => _logger.LogWarning(t.Exception?.GetBaseException(), "A quota of {Subscription} missed events; it reloads on its next activation", GrainKey),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    public Task<UsageCells> GetCellsAsync(UsageQuery query)
    {
        Meter? meter = _meters.Find(query.Meter);
        SubscriptionSnapshot s = _state.State;
        // A meter newer than this activation's view, or a range before what it holds, is answered from the history.
        if (meter is null || query.From < s.HeldFrom || _poisoned || s.MetersFingerprint != _meters.Fingerprint)
        {
            return Task.FromResult(UsageCells.NotHeld);
        }

        long from = query.From.ToUnixTimeSeconds(), to = query.To.ToUnixTimeSeconds();
        List<HourlyCell> cells = s.Buckets.TryGetValue(meter.Code, out var hours)
            ? [.. hours.Where(h => h.Key >= from && h.Key < to).SelectMany(h => h.Value.Select(g => new HourlyCell(DateTimeOffset.FromUnixTimeSeconds(h.Key), g.Key, g.Value)))]
            : [];
        return Task.FromResult(new UsageCells(true, cells));
    }

    public async Task SnapshotAsync()
    {
        _state.State.MetersFingerprint = _meters.Fingerprint;
        try
        {
            await _state.WriteStateAsync().ConfigureAwait(false);
            _dirty = false;
        }
        catch (InconsistentStateException ex)
        {
            _logger.LogWarning(ex, "Snapshot of {Subscription} conflicted; reloading", GrainKey);
            DropActivation();
            throw;
        }
    }

    private async Task SnapshotIfChangedAsync()
    {
        if (_dirty && !_poisoned && _pending.Count == 0)
        {
            await SnapshotAsync().ConfigureAwait(false);
        }
    }

    private async Task EnsureMetersCurrentAsync()
    {
        TenantMeters meters = await _catalog.GetMetersAsync(_tenantId).ConfigureAwait(false);
        if (meters.Fingerprint == _meters.Fingerprint)
        {
            return;
        }

        // Meters changed: count every held event again under the new definitions.
        _meters = meters;
        IndexQuotaMeters();
        ResetBuckets(_state.State.HeldFrom);
        await ReplayAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private void ResetBuckets(DateTimeOffset heldFrom)
    {
        _state.State.HeldFrom = heldFrom;
        _state.State.LastSeq = 0;
        _state.State.Buckets = [];
        _state.State.MetersFingerprint = _meters.Fingerprint;
        _dirty = true;
    }

    private async Task ReplayAsync(CancellationToken cancellationToken)
    {
        SubscriptionSnapshot s = _state.State;
        await foreach (StoredEvent e in _log.ReadAsync(_tenantId, _subscriptionId, s.LastSeq, s.HeldFrom, cancellationToken).ConfigureAwait(false))
        {
            Apply(e.EventType, e.Timestamp, e.PropertiesJson, e.Seq);
        }
    }

    /// <summary>Counts a committed event in the aggregates; <paramref name="observe"/>, when given, sees its parsed properties too.</summary>
    private void Apply(string eventType, DateTimeOffset timestamp, string propertiesJson, long seq, Action<JsonElement>? observe = null)
    {
        SubscriptionSnapshot s = _state.State;
        s.LastSeq = Math.Max(s.LastSeq, seq);
        _dirty = true;
        IReadOnlyList<Meter>? meters = null;
        bool counted = timestamp >= s.HeldFrom && _meters.ByEventType.TryGetValue(eventType, out meters);
        if (!counted && observe is null)
        {
            return;
        }

        using JsonDocument document = JsonDocument.Parse(propertiesJson);
        JsonElement properties = document.RootElement;
        observe?.Invoke(properties);
        if (!counted)
        {
            return;
        }

        long hour = UsageCalculator.HourOf(timestamp).ToUnixTimeSeconds();
        foreach (Meter meter in meters!)
        {
            if (!meter.CountsAt(timestamp) || !MeterReading.TryRead(meter, properties, out decimal number, out string? unique))
            {
                continue;
            }

            if (!s.Buckets.TryGetValue(meter.Code, out var hours))
            {
                s.Buckets[meter.Code] = hours = [];
            }

            if (!hours.TryGetValue(hour, out var groups))
            {
                hours[hour] = groups = new Dictionary<string, Aggregate>(StringComparer.Ordinal);
            }

            string group = MeterReading.GroupKey(meter, properties);
            if (!groups.TryGetValue(group, out Aggregate? aggregate))
            {
                groups[group] = aggregate = new Aggregate();
            }

            aggregate.Add(meter.Aggregation, number, unique, timestamp, seq);
        }
    }
}
