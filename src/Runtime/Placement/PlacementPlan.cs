namespace Metering.Runtime;

/// <summary>What one silo does in a placement round: the partitions it hands off and how many free ones it claims.</summary>
public sealed record PlacementPlan(int Target, IReadOnlyList<int> Release, int Claim)
{
    /// <summary>Balanced placement: live silos, ordered by id, own ⌈P/N⌉ (the first P mod N of them) or ⌊P/N⌋ partitions each.
    /// A silo over its share hands off its highest partitions; one under it claims free ones. A silo not among the live
    /// ones (leaving, or not yet seen) hands off everything.</summary>
    public static PlacementPlan For(string siloId, IReadOnlyCollection<string> liveSilos, int partitions, IReadOnlyCollection<int> owned)
    {
        int target = TargetOf(siloId, liveSilos, partitions);
        if (owned.Count > target)
        {
            return new PlacementPlan(target, [.. owned.OrderByDescending(p => p).Take(owned.Count - target)], 0);
        }

        return new PlacementPlan(target, [], target - owned.Count);
    }

    /// <summary>The number of partitions <paramref name="siloId"/> should own among <paramref name="liveSilos"/>.</summary>
    public static int TargetOf(string siloId, IReadOnlyCollection<string> liveSilos, int partitions)
    {
        int index = liveSilos.Order(StringComparer.Ordinal).ToList().IndexOf(siloId);
        if (index < 0)
        {
            return 0;
        }

        int n = liveSilos.Count;
        return partitions / n + (index < partitions % n ? 1 : 0);
    }
}
