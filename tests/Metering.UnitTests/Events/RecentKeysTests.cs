using Metering.Grains.Events;

namespace Metering.UnitTests.Events;

public sealed class RecentKeysTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private static IncomingEvent E(string key, byte hash) => new(key, "s", "t", s_t0, s_t0, "{}", [hash, 1, 2], null);

    [Fact]
    public void A_remembered_key_settles_as_the_log_would_and_an_unknown_one_is_left_to_the_log()
    {
        var recent = new RecentKeys(10);
        Guid id = Guid.NewGuid();
        recent.Add("k", [7, 1, 2], id);

        Assert.Equal(new IngestOutcome(IngestStatus.Duplicate, id, 0), recent.Settle(E("k", 7)));
        Assert.Equal(new IngestOutcome(IngestStatus.KeyReused, id, 0), recent.Settle(E("k", 8)));
        Assert.Null(recent.Settle(E("other", 7)));
    }

    [Fact]
    public void Past_its_capacity_it_forgets_the_oldest_keys_first_and_a_second_add_keeps_the_first_payload()
    {
        var recent = new RecentKeys(3);
        for (int i = 0; i < 5; i++)
        {
            recent.Add($"k{i}", [(byte)i, 1, 2], Guid.NewGuid());
        }

        recent.Add("k4", [99, 1, 2], Guid.NewGuid());
        Assert.Equal(3, recent.Count);
        Assert.Null(recent.Settle(E("k0", 0)));
        Assert.Null(recent.Settle(E("k1", 1)));
        Assert.Equal(IngestStatus.Duplicate, recent.Settle(E("k2", 2))!.Status);
        Assert.Equal(IngestStatus.Duplicate, recent.Settle(E("k4", 4))!.Status);
    }

    [Fact]
    public void With_no_capacity_nothing_is_remembered()
    {
        var recent = new RecentKeys(0);
        recent.Add("k", [1, 1, 2], Guid.NewGuid());
        Assert.Equal(0, recent.Count);
        Assert.Null(recent.Settle(E("k", 1)));
    }

    [Fact]
    public void The_same_event_is_the_same_payload_hash_and_an_unknown_stored_hash_is_a_reused_key()
    {
        Guid id = Guid.NewGuid();
        Assert.Equal(IngestStatus.Duplicate, IngestOutcome.Settle([1, 2], id, [1, 2]).Status);
        Assert.Equal(IngestStatus.KeyReused, IngestOutcome.Settle([1, 2], id, [1, 3]).Status);
        Assert.Equal(IngestStatus.KeyReused, IngestOutcome.Settle([1, 2], id, null).Status);
    }
}
