using Metering.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Metering.UnitTests.Runtime;

public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> IncrementAsync(int callNumber);

    Task<IReadOnlyList<int>> GetOrderAsync();

    [ReadOnly]
    Task<int> ReadWhileAsync(Task gate);

    Task<int> GetMaxConcurrencyAsync();

    Task<int> GetActivationNumberAsync();

    Task SaveAsync();

    Task<int> GetTicksAsync();

    Task StartTimerAsync(TimeSpan period);
}

public sealed class CounterState
{
    public int Value { get; set; }
}

public sealed class ActivationCounter
{
    public int Activations;
    public int Deactivations;
}

public sealed class CounterGrain : Grain, ICounterGrain
{
    private readonly IPersistentState<CounterState> _state;
    private readonly ActivationCounter _counter;
    private readonly List<int> _order = [];
    private int _inside;
    private int _maxConcurrency;
    private int _activationNumber;
    private int _ticks;

    public CounterGrain(IGrainContext context, PersistentStateFactory states, ActivationCounter counter)
    {
        _state = states.Create<CounterState>(context, "counter");
        _counter = counter;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activationNumber = Interlocked.Increment(ref _counter.Activations);
        await _state.ReadStateAsync(cancellationToken);
    }

    public override async Task OnDeactivateAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _counter.Deactivations);
        await _state.WriteStateAsync(cancellationToken);
    }

    public async Task<int> IncrementAsync(int callNumber)
    {
        int inside = Interlocked.Increment(ref _inside);
        _maxConcurrency = Math.Max(_maxConcurrency, inside);
        int before = _state.State.Value;
        await Task.Yield(); // give any other call every chance to interleave here
        _state.State.Value = before + 1;
        _order.Add(callNumber);
        Interlocked.Decrement(ref _inside);
        return _state.State.Value;
    }

    public Task<IReadOnlyList<int>> GetOrderAsync() => Task.FromResult<IReadOnlyList<int>>(_order.ToList());

    public async Task<int> ReadWhileAsync(Task gate)
    {
        int inside = Interlocked.Increment(ref _inside);
        _maxConcurrency = Math.Max(_maxConcurrency, inside);
        await gate;
        Interlocked.Decrement(ref _inside);
        return _state.State.Value;
    }

    public Task<int> GetMaxConcurrencyAsync() => Task.FromResult(_maxConcurrency);

    public Task<int> GetActivationNumberAsync() => Task.FromResult(_activationNumber);

    public Task SaveAsync() => _state.WriteStateAsync();

    public Task<int> GetTicksAsync() => Task.FromResult(_ticks);

    public Task StartTimerAsync(TimeSpan period)
    {
        RegisterTimer(() =>
        {
            _ticks++;
            return Task.CompletedTask;
        }, period, period);
        return Task.CompletedTask;
    }
}

/// <summary>A silo in process with in-memory storage and membership: the runtime alone, no metering.</summary>
public sealed class TestSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private TestSilo(IHost host) => _host = host;

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public Metering.Runtime.Silo Silo => _host.Services.GetRequiredService<Metering.Runtime.Silo>();

    public ActivationCounter Counter => _host.Services.GetRequiredService<ActivationCounter>();

    public IGrainStorage Storage => _host.Services.GetRequiredService<IGrainStorage>();

    public static async Task<TestSilo> StartAsync(IGrainStorage? storage = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IGrainStorage>(storage ?? new InMemoryGrainStorage());
        builder.Services.AddSingleton<ActivationCounter>();
        builder.Services.AddGrainRuntime(new SiloOptions { Partitions = 16, CollectionInterval = TimeSpan.FromHours(1) })
            .Add<ICounterGrain, CounterGrain>();
        IHost host = builder.Build();
        await host.StartAsync();
        return new TestSilo(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
