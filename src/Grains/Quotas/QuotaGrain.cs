using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Metering.Grains.Audit;
using Metering.Grains.Catalog;
using Metering.Grains.Events;
using Metering.Grains.Subscriptions;
using Metering.Grains.Usage;
using Metering.Runtime;
using Microsoft.Extensions.Logging;

namespace Metering.Grains.Quotas;

public sealed class QuotaGrain : Grain, IQuotaGrain
{
    /// <summary>Decisions remembered for retried keys, per epoch; beyond this many the oldest epoch's are forgotten.</summary>
    private const int MaxRememberedDecisions = 100_000;

    /// <summary>How often at most the quota records, with no crossing to record, that it has checked its events so far.</summary>
    public static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(30);

    private readonly IPersistentState<QuotaState> _state;
    private readonly IQuotaStore _store;
    private readonly ICatalogReader _catalog;
    private readonly IAuditLog _audit;
    private readonly IQuotaNotifications _notifications;
    private readonly TimeProvider _time;
    private readonly ILogger<QuotaGrain> _logger;
    private readonly Dictionary<string, decimal> _reservations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (ConsumeRequest Request, Task<ConsumeResult> Result)> _inFlight = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (ConsumeRequest Request, ConsumeResult Result)> _decided = new(StringComparer.Ordinal);
    private readonly HashSet<QuotaCrossing> _notified = [];
    private string _tenantId = string.Empty;
    private string _subscriptionId = string.Empty;
    private string _meterCode = string.Empty;
    private Meter? _meter;
    private Subscription? _subscription;
    private QuotaEpoch _epoch;
    private Aggregate _used = new();
    private decimal _reserved;
    private long _lastSeq;
    private long _checkedSeq;
    private DateTimeOffset _checkedAt = DateTimeOffset.MinValue;

    public QuotaGrain(IGrainContext context, PersistentStateFactory states, IQuotaStore store, ICatalogReader catalog, IAuditLog audit, IQuotaNotifications notifications,
        TimeProvider time, ILogger<QuotaGrain> logger)
    {
        _state = states.Create<QuotaState>(context, "quota");
        _store = store;
        _catalog = catalog;
        _audit = audit;
        _notifications = notifications;
        _time = time;
        _logger = logger;
    }

    private bool Configured => _state.State.Definition is not null && _meter is not null && _subscription is not null;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_tenantId, _subscriptionId, _meterCode) = QuotaKey.Parse(GrainKey);
        await _state.ReadStateAsync(cancellationToken).ConfigureAwait(false);
        if (_state.State.Definition is not null && await ResolveAsync(cancellationToken).ConfigureAwait(false))
        {
            await LoadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<QuotaView> SetAsync(QuotaDefinition definition)
    {
        bool created = _state.State.Definition is null;
        if (!await ResolveAsync(CancellationToken.None).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"Subscription {_subscriptionId} or meter {_meterCode} does not exist.");
        }

        if (created)
        {
            // From here on the subscription grain passes the meter's events on; whatever it applied before is in the log.
            await _store.RegisterAsync(_tenantId, _subscriptionId, _meterCode).ConfigureAwait(false);
            await Context.GrainFactory.GetGrain<ISubscriptionGrain>(SubscriptionKey.Of(_tenantId, _subscriptionId)).WatchQuotaAsync(_meterCode).ConfigureAwait(false);
            _lastSeq = await _store.LastSeqAsync(_tenantId, _subscriptionId).ConfigureAwait(false);
        }

        QuotaState state = _state.State;
        state.Definition = definition;
        // Credits start (again) at the limit, counting only what is used from now on.
        state.Balance = definition.Limit;
        state.CutSeq = _lastSeq;
        state.CutTime = definition.Refill is { } refill ? QuotaRules.RefillBoundary(refill.Interval, _time.GetUtcNow()) : DateTimeOffset.MinValue;
        await _state.WriteStateAsync().ConfigureAwait(false); // a lost race drops the activation (the runtime does)
        await LoadAsync(CancellationToken.None).ConfigureAwait(false);
        return View(_time.GetUtcNow(), 0)!;
    }

    public Task<QuotaView?> CheckAsync(decimal amount) => Task.FromResult(View(_time.GetUtcNow(), amount));

    public async Task<QuotaView?> AdjustCreditsAsync(CreditAdjustment adjustment)
    {
        if (!Configured)
        {
            return null;
        }

        DateTimeOffset now = _time.GetUtcNow();
        if (_state.State.Definition!.Period != QuotaPeriod.None)
        {
            return View(now, 0);
        }

        Roll(now);
        QuotaState state = _state.State;
        // Reservations in flight land after the cut and are counted against the new balance.
        decimal remaining = Math.Max(Saturating.Subtract(_epoch.Limit, UsedValue()), 0);
        state.Balance = QuotaRules.Adjust(remaining, adjustment);
        state.CutSeq = _lastSeq;
        state.CutTime = _epoch.Start;
        await _state.WriteStateAsync().ConfigureAwait(false); // a lost race drops the activation (the runtime does)
        _epoch = QuotaRules.EpochAt(state, _subscription!, now);
        _used = new Aggregate();
        _notified.Clear();
        return View(now, 0);
    }

    /// <summary>Decides a consume in this turn (a limit is never passed: what is being recorded is reserved), records the
    /// allowed one as an event through the subscription grain with the turn released, and answers a retry of the same request
    /// as the first was answered.</summary>
    public async Task<ConsumeResult> ConsumeAsync(ConsumeRequest request)
    {
        if (!Configured)
        {
            return new ConsumeResult(ConsumeStatus.NotConfigured, 0);
        }

        if (await ReplayAsync(request).ConfigureAwait(false) is { } replayed)
        {
            return replayed;
        }

        DateTimeOffset now = _time.GetUtcNow();
        Roll(now);
        QuotaDefinition definition = _state.State.Definition!;
        decimal used = Saturating.Add(UsedValue(), _reserved);
        QuotaView view = QuotaRules.Decide(_meterCode, definition, _epoch, used, request.Amount);
        return view.Allowed ? await RecordAsync(request, definition, now).ConfigureAwait(false) : Deny(request, now, used, view);
    }

    /// <summary>The answer to a request with a key seen before: the same request is answered as the first (waiting for it
    /// while it is recorded), another one under the same key is refused; null for a new key.</summary>
    private async Task<ConsumeResult?> ReplayAsync(ConsumeRequest request)
    {
        if (_inFlight.TryGetValue(request.IdempotencyKey, out var first))
        {
            return first.Request == request ? await WhileTurnReleased(first.Result).ConfigureAwait(false) : KeyReused(0);
        }

        if (_decided.TryGetValue(request.IdempotencyKey, out var decided))
        {
            return decided.Request == request ? decided.Result : KeyReused(decided.Result.Remaining);
        }

        return null;
    }

    private ConsumeResult Deny(ConsumeRequest request, DateTimeOffset now, decimal used, QuotaView view)
    {
        var denied = new ConsumeResult(ConsumeStatus.Denied, view.Remaining);
        Remember(request, denied);
        _audit.Record(new AuditEntry(_tenantId, now, "quota.denied", "subscription:" + _subscriptionId, request.Subject,
            JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["subscription_id"] = _subscriptionId,
                ["meter"] = _meterCode,
                ["amount"] = request.Amount.ToString(CultureInfo.InvariantCulture),
                ["used"] = used.ToString(CultureInfo.InvariantCulture),
                ["limit"] = _epoch.Limit.ToString(CultureInfo.InvariantCulture),
                ["idempotency_key"] = request.IdempotencyKey,
            })));
        return denied;
    }

    /// <summary>Records an allowed consume. Its amount is reserved before the turn is released, so that concurrent consumes
    /// see it while it is being recorded; a created event's reservation is released when the event itself arrives.</summary>
    private async Task<ConsumeResult> RecordAsync(ConsumeRequest request, QuotaDefinition definition, DateTimeOffset now)
    {
        _reserved += request.Amount;
        _reservations[request.IdempotencyKey] = request.Amount;
        var result = new TaskCompletionSource<ConsumeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _inFlight[request.IdempotencyKey] = (request, result.Task);
        IngestOutcome outcome = await IngestAsync(request, now).ConfigureAwait(false);
        if (outcome.Status != IngestStatus.Created)
        {
            Release(request.IdempotencyKey); // nothing new was committed (a replayed key, or a failure)
        }

        ConsumeResult answer = Answer(outcome, definition);
        _inFlight.Remove(request.IdempotencyKey);
        if (answer.Status == ConsumeStatus.Allowed)
        {
            Remember(request, answer);
        }

        result.SetResult(answer);
        return answer;
    }

    private async Task<IngestOutcome> IngestAsync(ConsumeRequest request, DateTimeOffset now)
    {
        try
        {
            ISubscriptionGrain subscription = Context.GrainFactory.GetGrain<ISubscriptionGrain>(SubscriptionKey.Of(_tenantId, _subscriptionId));
            return (await WhileTurnReleased(subscription.IngestAsync([ToEvent(request, now)])).ConfigureAwait(false))[0];
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Consume on {Quota} could not be recorded", GrainKey);
            return IngestOutcome.Failed("The usage could not be recorded; retry with the same idempotency key.");
        }
    }

    /// <summary>The answer to a consume once its event's outcome is known, with what remains then under the definition it
    /// was decided by.</summary>
    private ConsumeResult Answer(IngestOutcome outcome, QuotaDefinition definition)
    {
        QuotaView after = QuotaRules.Decide(_meterCode, definition, _epoch, Saturating.Add(UsedValue(), _reserved), 0);
        return outcome.Status switch
        {
            IngestStatus.Created or IngestStatus.Duplicate => new ConsumeResult(ConsumeStatus.Allowed, after.Remaining, after.Overage),
            IngestStatus.KeyReused => KeyReused(after.Remaining),
            IngestStatus.SubscriptionEnded => new ConsumeResult(ConsumeStatus.SubscriptionEnded, 0, null, outcome.Detail),
            _ => new ConsumeResult(ConsumeStatus.Failed, after.Remaining, null, outcome.Detail),
        };
    }

    public async Task OnEventsAsync(IReadOnlyList<QuotaEvent> events)
    {
        if (!Configured)
        {
            return;
        }

        foreach (QuotaEvent e in events)
        {
            Release(e.IdempotencyKey);
            if (e.Seq <= _lastSeq)
            {
                continue; // Already loaded from the log.
            }

            _lastSeq = e.Seq;
            Roll(e.ReceivedAt > _time.GetUtcNow() ? e.ReceivedAt : _time.GetUtcNow());
            Count(e);
        }

        await NotifyAsync().ConfigureAwait(false);
    }

    public Task ResyncAsync()
    {
        DropActivation();
        return Task.CompletedTask;
    }

    /// <summary>Reads the meter and the subscription the quota is on; false when either is gone.</summary>
    private async Task<bool> ResolveAsync(CancellationToken cancellationToken)
    {
        _meter = (await _catalog.GetMetersAsync(_tenantId, cancellationToken).ConfigureAwait(false)).Find(_meterCode);
        _subscription = await _catalog.GetSubscriptionAsync(_tenantId, _subscriptionId, cancellationToken).ConfigureAwait(false);
        return _meter is not null && _subscription is not null;
    }

    /// <summary>Counts the current epoch's events from the log (after <see cref="ResolveAsync"/> succeeded).</summary>
    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        _epoch = QuotaRules.EpochAt(_state.State, _subscription!, _time.GetUtcNow());
        (IReadOnlyList<QuotaEvent> events, long lastSeq) = await _store.LoadAsync(_tenantId, _subscriptionId, _meter!, _epoch, cancellationToken).ConfigureAwait(false);
        _used = new Aggregate();
        foreach (QuotaEvent e in events)
        {
            Count(e);
        }

        _lastSeq = Math.Max(_lastSeq, lastSeq);
        _notified.Clear();
        await NotifyAsync().ConfigureAwait(false);
    }

    /// <summary>Records the thresholds the committed usage of this window has reached and this activation has not recorded
    /// yet, with the quota's checkpoint (the sequence they count through). Recording is idempotent per window, so a new
    /// activation records again what its predecessor may have missed: a silo claiming the partition activates every quota
    /// with events past its checkpoint (QuotaRecovery), and a failure here is tried again at the next event.</summary>
    private async Task NotifyAsync()
    {
        QuotaDefinition definition = _state.State.Definition!;
        decimal used = UsedValue();
        List<QuotaCrossing> due = [.. QuotaThresholds.Reached(definition, _epoch.Limit, used).Where(c => !_notified.Contains(c))];
        DateTimeOffset now = _time.GetUtcNow();
        try
        {
            if (due.Count > 0)
            {
                QuotaView view = QuotaRules.Decide(_meterCode, definition, _epoch, used, 0);
                await _notifications.RecordAsync(new QuotaNotice(_tenantId, _subscriptionId, view, _epoch, due, now, _lastSeq)).ConfigureAwait(false);
                _notified.UnionWith(due);
                (_checkedSeq, _checkedAt) = (_lastSeq, now);
            }
            else if (_lastSeq > _checkedSeq && now - _checkedAt >= CheckpointInterval)
            {
                await _store.MarkCheckedAsync(_tenantId, _subscriptionId, _meterCode, _lastSeq).ConfigureAwait(false);
                (_checkedSeq, _checkedAt) = (_lastSeq, now);
            }
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Notifications of {Quota} could not be recorded; tried again at its next event", GrainKey);
        }
    }

    private void Count(QuotaEvent e)
    {
        if (e.Counts && _epoch.Contains(e.ReceivedAt, e.Seq))
        {
            _used.Add(_meter!.Aggregation, e.Number, e.Unique, e.Timestamp, e.Seq);
        }
    }

    /// <summary>Moves to the epoch in force at <paramref name="now"/> when the current one has ended: windows follow the
    /// server's clock, and every event of the new epoch reaches this activation after the move.</summary>
    private void Roll(DateTimeOffset now)
    {
        if (_epoch.End is { } end && now >= end)
        {
            _epoch = QuotaRules.EpochAt(_state.State, _subscription!, now);
            _used = new Aggregate();
            _decided.Clear();
            _notified.Clear();
        }
    }

    private decimal UsedValue() => _used.Value(_meter!.Aggregation) ?? 0;

    /// <summary>The view at <paramref name="now"/> without changing anything: an ended epoch reads as a fresh one.</summary>
    private QuotaView? View(DateTimeOffset now, decimal amount)
    {
        if (!Configured)
        {
            return null;
        }

        QuotaEpoch epoch = _epoch;
        decimal used = Saturating.Add(UsedValue(), _reserved);
        if (epoch.End is { } end && now >= end)
        {
            epoch = QuotaRules.EpochAt(_state.State, _subscription!, now);
            used = 0;
        }

        return QuotaRules.Decide(_meterCode, _state.State.Definition!, epoch, used, amount);
    }

    private void Release(string idempotencyKey)
    {
        if (_reservations.Remove(idempotencyKey, out decimal amount))
        {
            _reserved -= amount;
        }
    }

    private void Remember(ConsumeRequest request, ConsumeResult result)
    {
        if (_decided.Count >= MaxRememberedDecisions)
        {
            _decided.Clear();
        }

        _decided[request.IdempotencyKey] = (request, result);
    }

    private static ConsumeResult KeyReused(decimal remaining)
        => new(ConsumeStatus.KeyReused, remaining, null, "This idempotency key was used before for another request or event.");

    /// <summary>The event that records an allowed consume. Its payload hash depends on the request only, so a retry with the
    /// same key is recognised as a replay.</summary>
    private IncomingEvent ToEvent(ConsumeRequest request, DateTimeOffset now)
    {
        Meter meter = _meter!;
        var properties = new JsonObject();
        if (meter.ValueProperty is not null)
        {
            JsonObject node = properties;
            for (int i = 0; i < meter.ValuePath.Count - 1; i++)
            {
                var child = new JsonObject();
                node[meter.ValuePath[i]] = child;
                node = child;
            }

            node[meter.ValuePath[^1]] = request.Amount;
        }

        string identity = string.Join('\n', "quota.consume", request.Subject, meter.EventType, _meterCode, request.Amount.ToString(CultureInfo.InvariantCulture));
        return new IncomingEvent(
            request.IdempotencyKey,
            request.Subject,
            meter.EventType,
            now,
            now,
            properties.ToJsonString(),
            SHA256.HashData(Encoding.UTF8.GetBytes(identity)),
            null);
    }
}
