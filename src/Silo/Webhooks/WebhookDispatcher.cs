using System.Threading.Channels;
using Metering.Grains.Webhooks;
using Metering.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Metering.Silo.Webhooks;

/// <summary>Delivers the outbox of the partitions this silo owns. Each round reads the due deliveries of those partitions and
/// sends each endpoint's in order, endpoints in parallel; an order key (a subscription) stops at its first failure this round,
/// and the endpoint's circuit breaker decides whether anything is sent. Every attempt is recorded under the partition's
/// fence, so a silo that lost the partition meanwhile records nothing (the new owner sends it again: at least once).</summary>
public sealed class WebhookDispatcher : BackgroundService
{
    private readonly WebhookDeliveryStore _deliveries;
    private readonly WebhookEndpointStore _endpoints;
    private readonly WebhookSender _sender;
    private readonly WebhookMetrics _metrics;
    private readonly PartitionTable _partitions;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly SemaphoreSlim _sending;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public WebhookDispatcher(WebhookDeliveryStore deliveries, WebhookEndpointStore endpoints, WebhookOutbox outbox, WebhookSender sender, WebhookMetrics metrics,
        PartitionTable partitions, WebhookOptions options, [FromKeyedServices(WebhookClock.Key)] TimeProvider time, ILogger<WebhookDispatcher> logger)
    {
        _deliveries = deliveries;
        _endpoints = endpoints;
        _sender = sender;
        _metrics = metrics;
        _partitions = partitions;
        _options = options;
        _time = time;
        _logger = logger;
        _sending = new SemaphoreSlim(Math.Max(1, options.Parallelism));
        outbox.Written += Wake;
    }

    private long _rounds;

    /// <summary>Rounds completed since start (each looked at everything due when it began).</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>Looks for due deliveries now rather than at the next poll.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            (int read, int attempted) = (0, 0);
            try
            {
                (read, attempted) = await RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _logger.LogWarning(ex, "A round of webhook deliveries failed; trying again at the next poll");
            }

            Interlocked.Increment(ref _rounds);

            if (read < _options.BatchSize || attempted == 0)
            {
                await WaitAsync(stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task WaitAsync(CancellationToken ct)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(ct);
        poll.CancelAfter(_options.PollInterval);
        try
        {
            await _wake.Reader.ReadAsync(poll.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>One round: returns the deliveries read and the attempts made.</summary>
    public async Task<(int Read, int Attempted)> RunOnceAsync(CancellationToken ct)
    {
        Dictionary<int, FencingToken> fences = _partitions.Owned.Where(p => _partitions.IsOwned(p.Partition))
            .ToDictionary(p => p.Partition, p => new FencingToken(_partitions.SiloId, p.Partition, p.Epoch));
        if (fences.Count == 0)
        {
            return (0, 0);
        }

        IReadOnlyList<DueDelivery> due = await _deliveries.DueAsync([.. fences.Keys], _time.GetUtcNow(), _options.Breaker.CoolDown, _options.BatchSize, ct).ConfigureAwait(false);
        int attempted = 0;
        await Parallel.ForEachAsync(due.GroupBy(d => d.EndpointId), new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = ct },
            async (endpoint, token) => Interlocked.Add(ref attempted, await DeliverAsync([.. endpoint], fences, token).ConfigureAwait(false))).ConfigureAwait(false);
        return (due.Count, attempted);
    }

    /// <summary>Sends one endpoint's due deliveries as its breaker allows; returns the attempts made. Each order key (a
    /// subscription) goes in order and stops at its first failure; order keys go in parallel. An endpoint whose breaker is
    /// not closed gets one probe first, alone, and the rest only once the probe closed it.</summary>
    private async Task<int> DeliverAsync(IReadOnlyList<DueDelivery> due, Dictionary<int, FencingToken> fences, CancellationToken ct)
    {
        var breaker = new SharedBreaker(due[0].Breaker);
        List<DueDelivery[]> groups = [.. due.GroupBy(d => d.OrderKey).Select(g => g.ToArray())];
        int attempts = 0;
        if (breaker.Current.State != BreakerState.Closed)
        {
            (bool closed, attempts) = await ProbeAsync(groups[0][0], breaker, fences, ct).ConfigureAwait(false);
            if (!closed)
            {
                return attempts;
            }

            groups[0] = groups[0][1..];
        }

        await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = ct }, async (group, token) =>
        {
            foreach (DueDelivery delivery in group)
            {
                if (breaker.Current.State != BreakerState.Closed)
                {
                    return;
                }

                WebhookAttempt? attempt = await AttemptAsync(delivery, fences[delivery.Partition], token).ConfigureAwait(false);
                if (attempt is null)
                {
                    return; // The endpoint was deleted meanwhile, with its deliveries.
                }

                Interlocked.Increment(ref attempts);
                await SettleAsync(breaker, delivery.EndpointId, attempt, token).ConfigureAwait(false);
                if (!attempt.Succeeded)
                {
                    return;
                }
            }
        }).ConfigureAwait(false);
        return attempts;
    }

    /// <summary>Sends the probe of an open breaker once its cool-down has passed, if no other silo claimed it first; returns
    /// whether it closed the breaker, and the attempts made.</summary>
    private async Task<(bool Closed, int Attempts)> ProbeAsync(DueDelivery delivery, SharedBreaker breaker, Dictionary<int, FencingToken> fences, CancellationToken ct)
    {
        Breaker current = breaker.Current;
        if (CircuitBreakerRules.Permit(current, _options.Breaker, _time.GetUtcNow()) != BreakerPermit.Probe)
        {
            return (false, 0);
        }

        Breaker probing = CircuitBreakerRules.StartProbe(current, _time.GetUtcNow());
        if (!await _endpoints.TrySetBreakerAsync(delivery.EndpointId, current, probing, ct).ConfigureAwait(false))
        {
            return (false, 0); // Another silo sends the probe.
        }

        breaker.Current = probing;
        WebhookAttempt? attempt = await AttemptAsync(delivery, fences[delivery.Partition], ct).ConfigureAwait(false);
        if (attempt is null)
        {
            return (false, 0);
        }

        await SettleAsync(breaker, delivery.EndpointId, attempt, ct).ConfigureAwait(false);
        return (breaker.Current.State == BreakerState.Closed, 1);
    }

    /// <summary>An endpoint's breaker as this round knows it, shared by the round's parallel sends.</summary>
    private sealed class SharedBreaker(Breaker initial)
    {
        private Breaker _current = initial;

        public Breaker Current
        {
            get => Volatile.Read(ref _current);
            set => Volatile.Write(ref _current, value);
        }

        public SemaphoreSlim Lock { get; } = new(1, 1);
    }

    /// <summary>Applies an attempt to the breaker, one attempt at a time; an attempt that changes nothing (a success while
    /// closed with no failures) costs no write.</summary>
    private async Task SettleAsync(SharedBreaker breaker, Guid endpointId, WebhookAttempt attempt, CancellationToken ct)
    {
        if (attempt.Succeeded && CircuitBreakerRules.AfterSuccess(breaker.Current, attempt.At) == breaker.Current)
        {
            return;
        }

        await breaker.Lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            breaker.Current = await SettleBreakerAsync(endpointId, breaker.Current, attempt, ct).ConfigureAwait(false);
        }
        finally
        {
            breaker.Lock.Release();
        }
    }

    /// <summary>Sends one delivery and records the attempt; null when the endpoint is gone. At most
    /// <see cref="WebhookOptions.Parallelism"/> attempts are in flight on this silo, each holding a connection to record it.</summary>
    private async Task<WebhookAttempt?> AttemptAsync(DueDelivery delivery, FencingToken fence, CancellationToken ct)
    {
        WebhookKeys? keys = await _endpoints.KeysAsync(delivery.EndpointId, delivery.EndpointUpdatedAt, ct).ConfigureAwait(false);
        if (keys is null)
        {
            return null;
        }

        await _sending.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            DateTimeOffset now = _time.GetUtcNow();
            WebhookAttempt attempt = await _sender.SendAsync(delivery.Url, delivery.Body, keys.At(now), now, ct).ConfigureAwait(false);
            _metrics.Observe(attempt.LatencyMs);
            int failures = attempt.Succeeded ? delivery.Failures : delivery.Failures + 1;
            TimeSpan? delay = attempt.Succeeded ? null : _options.Retry.DelayAfter(failures, Random.Shared.NextDouble());
            DeliveryStatus status = attempt.Succeeded ? DeliveryStatus.Delivered : delay is null ? DeliveryStatus.Failed : DeliveryStatus.Pending;
            bool recorded = await _deliveries.RecordAsync(delivery.Id, fence, attempt, status, failures, attempt.At + delay, ct).ConfigureAwait(false);
            _metrics.Count(!recorded ? DeliveryOutcome.Fenced : status switch
            {
                DeliveryStatus.Delivered => DeliveryOutcome.Delivered,
                DeliveryStatus.Failed => DeliveryOutcome.DeadLettered,
                _ => DeliveryOutcome.Retrying,
            });
            return attempt;
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Applies an attempt's outcome to the shared breaker by compare-and-set, reading it again when another silo
    /// moved it first. The breaker changes as of the attempt (its cool-down runs from the failure that opened it).</summary>
    private async Task<Breaker> SettleBreakerAsync(Guid endpointId, Breaker breaker, WebhookAttempt attempt, CancellationToken ct)
    {
        for (int tries = 0; tries < 8; tries++)
        {
            Breaker next = attempt.Succeeded ? CircuitBreakerRules.AfterSuccess(breaker, attempt.At)
                : CircuitBreakerRules.AfterFailure(breaker, _options.Breaker, attempt.At);
            if (next == breaker || await _endpoints.TrySetBreakerAsync(endpointId, breaker, next, ct).ConfigureAwait(false))
            {
                return next;
            }

            breaker = await _endpoints.BreakerAsync(endpointId, ct).ConfigureAwait(false) ?? breaker;
        }

        return breaker;
    }

    public override void Dispose()
    {
        _sender.Dispose();
        _sending.Dispose();
        base.Dispose();
    }
}
