using System.Collections.Concurrent;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>Events (writers sending to sub_1… without end) and consumes of sub_0's credits, flowing through every silo while a
/// test breaks the cluster; then the checks that nothing acknowledged was lost or stored twice.</summary>
public sealed class ClusterLoad
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _writers;
    private readonly Task<int> _consumes;
    private readonly int _subscriptions;

    private ClusterLoad(HttpClient[] clients, string[] subjects, int writers, int consumes, int parallel)
    {
        Sender = new RetryingSender(clients);
        _subscriptions = subjects.Length;
        _writers = [.. Enumerable.Range(0, writers).Select(w => ClusterScenario.IngestUntilAsync(Sender, subjects[1..], $"w{w}", Acknowledged, Created, _stop.Token))];
        _consumes = ClusterScenario.ConsumeAsync(Sender, subjects[0], "c", consumes, 1, parallel);
    }

    public RetryingSender Sender { get; }

    /// <summary>Each acknowledged event key with its tokens.</summary>
    public ConcurrentDictionary<string, int> Acknowledged { get; } = new();

    /// <summary>Every 201 answered.</summary>
    public ConcurrentBag<string> Created { get; } = [];

    /// <summary><paramref name="subjects"/>[0] is sub_0's subject, whose credits the consumes spend; events go to the rest.</summary>
    public static ClusterLoad Start(HttpClient[] clients, string[] subjects, int writers, int consumes, int parallel) => new(clients, subjects, writers, consumes, parallel);

    /// <summary>Waits until <paramref name="count"/> more events than <paramref name="since"/> (now, by default) are acknowledged.</summary>
    public async Task AcknowledgedAsync(int count, int? since = null)
    {
        int target = (since ?? Acknowledged.Count) + count;
        while (Acknowledged.Count < target)
        {
            await Task.Delay(10);
        }
    }

    /// <summary>Stops the writers, waits for the consumes, and returns how many were allowed.</summary>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_writers);
        return await _consumes;
    }

    /// <summary>No key was answered 201 twice; the log holds each acknowledged event and each allowed consume once, with their
    /// tokens; usage read through <paramref name="reader"/> equals the acknowledged tokens.</summary>
    public async Task AssertStoredOnceAsync(string connectionString, string tenant, int allowed, HttpClient reader)
    {
        Assert.Equal(Created.Count, Created.Distinct().Count());
        (long rows, long keys, decimal tokens) = await ClusterScenario.StoredAsync(connectionString, tenant);
        Assert.Equal((Acknowledged.Count + (long)allowed, Acknowledged.Count + (long)allowed, Acknowledged.Values.Sum() + (decimal)allowed), (rows, keys, tokens));
        decimal usage = 0;
        for (int s = 1; s < _subscriptions; s++)
        {
            usage += await ClusterScenario.UsageAsync(reader, $"sub_{s}");
        }

        Assert.Equal(Acknowledged.Values.Sum(), usage);
    }
}
