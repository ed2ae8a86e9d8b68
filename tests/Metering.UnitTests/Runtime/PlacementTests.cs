using Metering.Runtime;

namespace Metering.UnitTests.Runtime;

public sealed class PlacementTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(9)]
    public void Live_silos_own_the_ceiling_or_floor_of_their_share_and_together_every_partition(int silos)
    {
        string[] ids = [.. Enumerable.Range(0, silos).Select(i => $"silo-{(char)('a' + i)}")];
        int[] targets = [.. ids.Select(id => PlacementPlan.TargetOf(id, ids, 256))];
        Assert.Equal(256, targets.Sum());
        Assert.All(targets, t => Assert.InRange(t, 256 / silos, (256 + silos - 1) / silos));
    }

    [Fact]
    public void A_silo_over_its_share_hands_off_its_highest_partitions_and_one_under_it_claims_the_difference()
    {
        string[] live = ["a", "b", "c"];
        PlacementPlan over = PlacementPlan.For("a", live, 12, [.. Enumerable.Range(0, 6)]);
        Assert.Equal((4, 0), (over.Target, over.Claim));
        Assert.Equal([5, 4], over.Release);
        PlacementPlan under = PlacementPlan.For("c", live, 12, [11]);
        Assert.Equal((4, 0, 3), (under.Target, under.Release.Count, under.Claim));
        PlacementPlan leaving = PlacementPlan.For("d", live, 12, [7, 8]);
        Assert.Equal((0, 0), (leaving.Target, leaving.Claim));
        Assert.Equal([8, 7], leaving.Release);
    }
}
