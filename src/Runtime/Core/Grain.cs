namespace Metering.Runtime;

/// <summary>Base class of grains. The runtime sets the context before <see cref="OnActivateAsync"/>.</summary>
public abstract class Grain
{
    private Activation? _activation;

    internal void Attach(Activation activation) => _activation = activation;

    private Activation Activation => _activation ?? throw new InvalidOperationException("The grain is not activated.");

    /// <summary>The runtime context of this activation.</summary>
    protected IGrainContext Context => Activation;

    /// <summary>The grain's key.</summary>
    protected string GrainKey => Activation.Id.Key;

    /// <summary>Runs once, as the first turn of the activation.</summary>
    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs as the last turn of an activation that deactivates normally (idle, or silo stop); flush state here.</summary>
    public virtual Task OnDeactivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Asks the runtime to deactivate this activation once the current turn ends.</summary>
    protected void DeactivateOnIdle() => Activation.RequestDeactivation(flush: true);

    /// <summary>Drops this activation without <see cref="OnDeactivateAsync"/>; the next call activates it anew from storage.
    /// Use when in-memory state may differ from what is durable.</summary>
    protected void DropActivation() => Activation.RequestDeactivation(flush: false);

    /// <summary>Registers a timer whose callback runs as a turn of this activation; ticks are skipped while one runs.</summary>
    protected IDisposable RegisterTimer(Func<Task> callback, TimeSpan dueTime, TimeSpan period)
        => Activation.RegisterTimer(callback, dueTime, period);

    /// <summary>Ends the current (exclusive) turn while <paramref name="task"/> runs, so that other calls may proceed,
    /// and takes a new exclusive turn, behind the calls that arrived meanwhile, before returning its result.
    /// Code after the await runs in a turn again, so it never interleaves with other turns.</summary>
    protected async Task<T> WhileTurnReleased<T>(Task<T> task)
    {
        Activation activation = Activation;
        // The call stays pending while released, so idle collection cannot deactivate the grain under it.
        activation.Scheduler.MarkPending(+1);
        activation.Scheduler.Release(readOnly: false);
        try
        {
            return await task.ConfigureAwait(false);
        }
        finally
        {
            await activation.Scheduler.AcquireAsync(readOnly: false).ConfigureAwait(false);
            activation.Scheduler.MarkPending(-1);
        }
    }
}
