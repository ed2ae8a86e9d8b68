using Metering.Grains.Events;
using Metering.Grains.Subscriptions;
using Metering.IntegrationTests.Infrastructure;
using Metering.Runtime;
using Metering.Silo.Events;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Metering.IntegrationTests;

/// <summary>The group-commit writer against the real database, driven directly so that a test decides what shares a commit.</summary>
[Collection(AppCollection.Name)]
public sealed class EventLogTests(AppFixture app)
{
    [Fact]
    public async Task A_key_stored_earlier_and_repeated_within_one_group_commit_is_settled_against_the_stored_payload()
    {
        PostgresEventLog log = app.Services.GetRequiredService<PostgresEventLog>();
        PartitionTable partitions = app.Services.GetRequiredService<PartitionTable>();
        int lanes = app.Services.GetRequiredService<EventLogOptions>().Lanes;
        string tenant = "t_log_" + Guid.NewGuid().ToString("N")[..8];

        // Subscriptions whose partitions share one writer lane, so their appends queue behind each other.
        string[] subscriptions = Enumerable.Range(0, 1000).Select(i => $"sub_{i}")
            .GroupBy(s => partitions.PartitionOf(SubscriptionKey.Of(tenant, s)) % lanes).First().Take(4).ToArray();
        Assert.Equal(4, subscriptions.Length);
        FencingToken Fence(string subscription) => partitions.GetFence(partitions.PartitionOf(SubscriptionKey.Of(tenant, subscription)));
        Task<IngestOutcome[]> Append(string subscription, string key, byte[] hash)
            => log.AppendAsync(tenant, subscription, [new IncomingEvent(key, "agent:1", "llm_tokens", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "{}", hash, null)], Fence(subscription));

        byte[] payload = [1, 2, 3], other = [9];
        IngestOutcome original = Assert.Single(await Append(subscriptions[0], "k-1", payload));
        Assert.Equal(IngestStatus.Created, original.Status);

        // Hold the events table: the lane's writer blocks in its commit of "occupy", and the next three appends wait in its
        // queue, so they are taken together into one group commit.
        Task<IngestOutcome[]> occupy, same1, same2, reused;
        long commitsBefore;
        await using (TableGate gate = await TableGate.HoldAsync(app, "events"))
        {
            commitsBefore = log.Commits;
            occupy = Append(subscriptions[0], "k-occupy", payload);
            await gate.WaitForWaitersAsync(1);
            same1 = Append(subscriptions[1], "k-1", payload);
            same2 = Append(subscriptions[2], "k-1", payload);
            reused = Append(subscriptions[3], "k-1", other);
            Assert.Equal(commitsBefore, log.Commits); // nothing committed while the table is held
            await gate.ReleaseAsync();
        }

        Assert.Equal(IngestStatus.Created, Assert.Single(await occupy).Status);
        await Task.WhenAll(same1, same2, reused);
        Assert.Equal(commitsBefore + 2, log.Commits); // "occupy", then the three repeats together
        foreach (Task<IngestOutcome[]> duplicate in new[] { same1, same2 })
        {
            IngestOutcome outcome = Assert.Single(await duplicate);
            Assert.Equal((IngestStatus.Duplicate, original.EventId), (outcome.Status, outcome.EventId));
        }

        IngestOutcome reuse = Assert.Single(await reused);
        Assert.Equal((IngestStatus.KeyReused, original.EventId), (reuse.Status, reuse.EventId));

        await using NpgsqlConnection db = await app.OpenDatabaseAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM events WHERE tenant_id = $1", db) { Parameters = { new() { Value = tenant } } };
        Assert.Equal(2L, (long)(await count.ExecuteScalarAsync())!);
    }
}
