namespace Metering.Cli.Events;

/// <summary>What the server answered for a set of events: stored (201), duplicates (409 DUPLICATE_EVENT: stored before, by
/// this key), and rejected, by problem code.</summary>
public sealed record SendTally(long Stored, long Duplicates, IReadOnlyDictionary<string, long> Rejected)
{
    public static readonly SendTally Empty = new(0, 0, new Dictionary<string, long>());

    public long RejectedTotal => Rejected.Values.Sum();

    public long Acknowledged => Stored + Duplicates + RejectedTotal;

    public SendTally Plus(SendTally other)
    {
        var rejected = new Dictionary<string, long>(Rejected, StringComparer.Ordinal);
        foreach ((string code, long n) in other.Rejected)
        {
            rejected[code] = rejected.GetValueOrDefault(code) + n;
        }

        return new SendTally(Stored + other.Stored, Duplicates + other.Duplicates, rejected);
    }
}
