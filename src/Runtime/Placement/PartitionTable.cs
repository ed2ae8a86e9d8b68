using System.Diagnostics;
using System.Text;

namespace Metering.Runtime;

/// <summary>Which partitions this silo owns, at which epoch, and until when its leases are known to hold. A key hashes to one
/// of <see cref="Count"/> partitions. A partition whose lease may have expired counts as not owned, so a silo that was paused
/// past its lease stops serving at once, before its next heartbeat tells it what happened meanwhile.</summary>
public sealed class PartitionTable
{
    private readonly long[] _epochs;
    private readonly bool[] _serving;
    private const long NeverRenewed = long.MinValue;
    private long _leaseDeadline = NeverRenewed;

    /// <summary>Creates the table for <paramref name="siloId"/> with <paramref name="count"/> partitions, none owned.</summary>
    public PartitionTable(string siloId, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        SiloId = siloId;
        _epochs = new long[count];
        _serving = new bool[count];
    }

    /// <summary>This silo's id.</summary>
    public string SiloId { get; }

    /// <summary>The number of partitions.</summary>
    public int Count => _epochs.Length;

    /// <summary>The number of partitions this silo owns.</summary>
    public int OwnedCount => LeasesHold ? _serving.Count(s => s) : 0;

    /// <summary>The partitions this silo owns, with their epochs.</summary>
    public IReadOnlyList<(int Partition, long Epoch)> Owned
        => [.. Enumerable.Range(0, _epochs.Length).Where(p => Volatile.Read(ref _serving[p])).Select(p => (p, Volatile.Read(ref _epochs[p])))];

    /// <summary>Whether the leases renewed last are known to hold still.</summary>
    public bool LeasesHold => Volatile.Read(ref _leaseDeadline) is var deadline && (deadline == NeverRenewed || Stopwatch.GetTimestamp() < deadline);

    /// <summary>The partition of a partition key: FNV-1a of its UTF-8, stable across processes and versions.</summary>
    public int PartitionOf(string partitionKey) => PartitionOf(partitionKey, _epochs.Length);

    /// <summary>The partition of a partition key among <paramref name="count"/> partitions (what clients outside a silo use).</summary>
    public static int PartitionOf(string partitionKey, int count) => (int)(Fnv1a(partitionKey) % (uint)count);

    /// <summary>Whether this silo owns the partition and its lease still holds.</summary>
    public bool IsOwned(int partition) => Volatile.Read(ref _serving[partition]) && LeasesHold;

    /// <summary>Whether this silo serves the partition, its lease aside.</summary>
    public bool IsServing(int partition) => Volatile.Read(ref _serving[partition]);

    /// <summary>The fence for writes of a partition: the epoch it was last held at, kept after <see cref="Revoke"/> so that a
    /// partition being handed off can still flush its state (the database refuses the fence once another silo holds it).</summary>
    public FencingToken GetFence(int partition) => new(SiloId, partition, Volatile.Read(ref _epochs[partition]));

    /// <summary>Records that this silo holds the partition at <paramref name="epoch"/>.</summary>
    public void Own(int partition, long epoch)
    {
        Volatile.Write(ref _epochs[partition], epoch);
        Volatile.Write(ref _serving[partition], true);
    }

    /// <summary>Records that this silo no longer serves the partition (lost, or being handed off).</summary>
    public void Revoke(int partition) => Volatile.Write(ref _serving[partition], false);

    /// <summary>The leases held now are known to hold until <paramref name="timestamp"/> (a <see cref="Stopwatch"/> timestamp:
    /// leases run on real time, whatever clock the grains are given); past it every partition reads as not owned until the
    /// next renewal. A renewal only ever extends the deadline: the placement round and the lease keeper both renew, and the
    /// one whose answer arrives later may have sent its renewal earlier.</summary>
    public void LeasesHoldUntil(long timestamp)
    {
        long current = Volatile.Read(ref _leaseDeadline);
        while ((current == NeverRenewed || timestamp > current) && Interlocked.CompareExchange(ref _leaseDeadline, timestamp, current) is var seen && seen != current)
        {
            current = seen;
        }
    }

    private static uint Fnv1a(string value)
    {
        uint hash = 2166136261;
        Span<byte> buffer = value.Length <= 128 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(value.Length)] : new byte[Encoding.UTF8.GetMaxByteCount(value.Length)];
        int length = Encoding.UTF8.GetBytes(value, buffer);
        foreach (byte b in buffer[..length])
        {
            hash = (hash ^ b) * 16777619;
        }

        return hash;
    }
}
