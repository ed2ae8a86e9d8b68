using System.Text;

namespace Metering.Runtime;

/// <summary>Proof of partition ownership carried by every durable write: a write with a stale epoch is refused.</summary>
public readonly record struct FencingToken(string SiloId, int Partition, long Epoch);

/// <summary>Which partitions this silo owns, and at which epoch. A key hashes to one of <see cref="Count"/> partitions.</summary>
public sealed class PartitionTable
{
    private readonly long[] _epochs;

    /// <summary>Creates the table for <paramref name="siloId"/> with <paramref name="count"/> partitions, none owned.</summary>
    public PartitionTable(string siloId, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        SiloId = siloId;
        _epochs = new long[count];
    }

    /// <summary>This silo's id.</summary>
    public string SiloId { get; }

    /// <summary>The number of partitions.</summary>
    public int Count => _epochs.Length;

    /// <summary>The number of partitions this silo owns.</summary>
    public int OwnedCount => _epochs.Count(e => e != 0);

    /// <summary>The partition of a partition key: FNV-1a of its UTF-8, stable across processes and versions.</summary>
    public int PartitionOf(string partitionKey) => (int)(Fnv1a(partitionKey) % (uint)_epochs.Length);

    /// <summary>Whether this silo owns the partition.</summary>
    public bool IsOwned(int partition) => Volatile.Read(ref _epochs[partition]) != 0;

    /// <summary>The fence for writes of a partition.</summary>
    public FencingToken GetFence(int partition) => new(SiloId, partition, Volatile.Read(ref _epochs[partition]));

    /// <summary>Records that this silo holds the partition at <paramref name="epoch"/>.</summary>
    public void Own(int partition, long epoch) => Volatile.Write(ref _epochs[partition], epoch);

    /// <summary>Records that this silo lost the partition.</summary>
    public void Revoke(int partition) => Volatile.Write(ref _epochs[partition], 0);

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
