using Microsoft.Extensions.Logging;

namespace Metering.Runtime;

/// <summary>One live instance of a grain on this silo, with its turn scheduler and timers.</summary>
internal sealed class Activation : IGrainContext
{
    private readonly Catalog _catalog;
    private readonly List<GrainTimer> _timers = [];
    private readonly TaskCompletionSource _activated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _deactivationRequested; // 0 none, 1 flush, 2 drop
    private IGrainFactory? _factory;

    public Activation(Catalog catalog, GrainId id, int partition, FencingToken fence)
    {
        _catalog = catalog;
        Id = id;
        Partition = partition;
        Fence = fence;
        LastUsed = catalog.Time.GetTimestamp();
    }

    public GrainId Id { get; }

    public int Partition { get; }

    /// <summary>The fence of the partition as this silo held it when the activation loaded its state: its writes are refused
    /// once another silo (or this one, later, at a new epoch) holds the partition.</summary>
    public FencingToken Fence { get; }

    public IGrainFactory GrainFactory => _factory ??= _catalog.FactoryFor(Partition);

    public TurnScheduler Scheduler { get; } = new();

    public Grain? Instance { get; private set; }

    /// <summary>Set once the activation is gone; a call admitted after that must go to a new activation.</summary>
    public bool IsDeactivated { get; private set; }

    public long LastUsed { get; set; }

    private long _calls;

    /// <summary>Calls run by this activation since it was activated.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    public void CountCall() => Interlocked.Increment(ref _calls);

    public Task Activated => _activated.Task;

    /// <summary>Runs the activation turn. The caller took the exclusive turn before publishing the activation, so every
    /// call queues behind it.</summary>
    public async Task ActivateAsync(Func<Activation, Grain> create)
    {
        try
        {
            Grain grain = create(this);
            grain.Attach(this);
            await grain.OnActivateAsync(CancellationToken.None).ConfigureAwait(false);
            Instance = grain;
            _activated.SetResult();
        }
        catch (Exception ex)
        {
            _catalog.Logger.LogError(ex, "Activation of {Grain} failed", Id);
            IsDeactivated = true;
            _catalog.Remove(this);
            _activated.SetException(ex);
        }
        finally
        {
            Scheduler.Release(readOnly: false);
        }
    }

    public void RequestDeactivation(bool flush)
    {
        // A drop (2) overrides a flush (1); a flush never downgrades a drop.
        int requested = flush ? 1 : 2;
        int current;
        do
        {
            current = Volatile.Read(ref _deactivationRequested);
        }
        while (current < requested && Interlocked.CompareExchange(ref _deactivationRequested, requested, current) != current);
    }

    /// <summary>Called at the end of each turn: carries out a deactivation the grain asked for.</summary>
    public void AfterTurn()
    {
        int requested = _deactivationRequested;
        if (requested != 0 && !IsDeactivated)
        {
            _ = DeactivateAsync(flush: requested == 1, onlyIfIdle: false);
        }
    }

    /// <summary>Deactivates in a turn of its own. With <paramref name="onlyIfIdle"/>, gives up if any call is pending.</summary>
    public async Task<bool> DeactivateAsync(bool flush, bool onlyIfIdle)
    {
        await Scheduler.AcquireAsync(readOnly: false).ConfigureAwait(false);
        try
        {
            if (IsDeactivated || (onlyIfIdle && Scheduler.Pending > 1))
            {
                return false;
            }

            foreach (GrainTimer timer in _timers)
            {
                timer.Dispose();
            }

            if (flush && Instance is not null)
            {
                try
                {
                    await Instance.OnDeactivateAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // The state lives in storage and events; a failed flush only means a longer replay next time.
                    _catalog.Logger.LogWarning(ex, "Deactivation of {Grain} failed to flush", Id);
                }
            }

            IsDeactivated = true;
            _catalog.Remove(this);
            return true;
        }
        finally
        {
            Scheduler.Release(readOnly: false);
        }
    }

    public IDisposable RegisterTimer(Func<Task> callback, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new GrainTimer(this, callback, dueTime, period);
        _timers.Add(timer);
        return timer;
    }

    private sealed class GrainTimer : IDisposable
    {
        private readonly Activation _owner;
        private readonly Func<Task> _callback;
        private readonly ITimer _timer;
        private int _running;

        public GrainTimer(Activation owner, Func<Task> callback, TimeSpan dueTime, TimeSpan period)
        {
            _owner = owner;
            _callback = callback;
            _timer = owner._catalog.Time.CreateTimer(_ => _ = TickAsync(), null, dueTime, period);
        }

        private async Task TickAsync()
        {
            if (Interlocked.Exchange(ref _running, 1) == 1)
            {
                return;
            }

            try
            {
                await _owner.Scheduler.AcquireAsync(readOnly: false).ConfigureAwait(false);
                try
                {
                    if (!_owner.IsDeactivated && _owner.Instance is not null)
                    {
                        await _callback().ConfigureAwait(false);
                    }
                }
                finally
                {
                    _owner.Scheduler.Release(readOnly: false);
                    _owner.AfterTurn();
                }
            }
            catch (Exception ex)
            {
                _owner._catalog.Logger.LogWarning(ex, "Timer of {Grain} failed", _owner.Id);
            }
            finally
            {
                Volatile.Write(ref _running, 0);
            }
        }

        public void Dispose() => _timer.Dispose();
    }
}
