namespace Metering.Runtime;

/// <summary>Admits calls into one activation one at a time, in arrival order; consecutive read-only calls may run together.
/// A call that finds the activation free runs inline on the caller's thread, with no allocation.</summary>
internal sealed class TurnScheduler
{
    private readonly Lock _lock = new();
    private readonly Queue<Waiter> _queue = new();
    private int _readers;
    private bool _writer;

    private sealed class Waiter(bool readOnly)
    {
        public readonly bool ReadOnly = readOnly;
        public readonly TaskCompletionSource Ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Calls admitted or waiting; used to tell an idle activation.</summary>
    public int Pending { get; private set; }

    public ValueTask AcquireAsync(bool readOnly)
    {
        Waiter waiter;
        lock (_lock)
        {
            Pending++;
            if (_queue.Count == 0 && !_writer && (readOnly || _readers == 0))
            {
                if (readOnly)
                {
                    _readers++;
                }
                else
                {
                    _writer = true;
                }

                return ValueTask.CompletedTask;
            }

            waiter = new Waiter(readOnly);
            _queue.Enqueue(waiter);
        }

        return new ValueTask(waiter.Ready.Task);
    }

    public void Release(bool readOnly)
    {
        List<Waiter>? ready = null;
        lock (_lock)
        {
            Pending--;
            if (readOnly)
            {
                _readers--;
            }
            else
            {
                _writer = false;
            }

            while (_queue.Count > 0 && !_writer)
            {
                Waiter next = _queue.Peek();
                if (next.ReadOnly)
                {
                    _readers++;
                }
                else if (_readers == 0)
                {
                    _writer = true;
                }
                else
                {
                    break;
                }

                _queue.Dequeue();
                (ready ??= []).Add(next);
            }
        }

        if (ready is not null)
        {
            foreach (Waiter waiter in ready)
            {
                waiter.Ready.SetResult();
            }
        }
    }

    /// <summary>A turn was released early by <see cref="Grain.WhileTurnReleased{T}"/>: it still counts as pending.</summary>
    public void MarkPending(int delta)
    {
        lock (_lock)
        {
            Pending += delta;
        }
    }
}
