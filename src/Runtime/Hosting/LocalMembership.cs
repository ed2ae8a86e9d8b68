namespace Metering.Runtime;

/// <summary>Membership of a lone silo with nothing shared: owns every partition at epoch 1.</summary>
public sealed class LocalMembership(SiloOptions options, TimeProvider time) : IMembership
{
    public bool Shared => false;

    private readonly string _secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private readonly HashSet<int> _owned = [];
    private SiloStatus _status = SiloStatus.Joining;
    private string _address = options.Address;

    public Task JoinAsync(CancellationToken cancellationToken)
    {
        _status = SiloStatus.Joining;
        return Task.CompletedTask;
    }

    public Task AdvertiseAsync(string address, CancellationToken cancellationToken)
    {
        _address = address;
        return Task.CompletedTask;
    }

    public Task<MembershipSnapshot> HeartbeatAsync(int activations, CancellationToken cancellationToken)
    {
        lock (_owned)
        {
            return Task.FromResult(new MembershipSnapshot(false, [.. _owned.Select(p => (p, 1L))], _status is SiloStatus.Joining or SiloStatus.Active ? [options.SiloId] : [], Owners()));
        }
    }

    public IReadOnlyList<(int Partition, long Epoch)>? KeepAlive(int activations)
    {
        lock (_owned)
        {
            return [.. _owned.Select(p => (p, 1L))];
        }
    }

    public Task<IReadOnlyList<(int Partition, long Epoch)>> ClaimAsync(int count, CancellationToken cancellationToken)
    {
        lock (_owned)
        {
            List<int> free = [.. Enumerable.Range(0, options.Partitions).Where(p => !_owned.Contains(p)).Take(count)];
            _owned.UnionWith(free);
            return Task.FromResult<IReadOnlyList<(int, long)>>([.. free.Select(p => (p, 1L))]);
        }
    }

    public Task ReleaseAsync(IReadOnlyList<int> partitions, CancellationToken cancellationToken)
    {
        lock (_owned)
        {
            _owned.ExceptWith(partitions);
        }

        return Task.CompletedTask;
    }

    public Task SetStatusAsync(SiloStatus status, CancellationToken cancellationToken)
    {
        _status = status;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<SiloInfo>> ListAsync(CancellationToken cancellationToken)
    {
        lock (_owned)
        {
            return Task.FromResult<IReadOnlyList<SiloInfo>>([new SiloInfo(options.SiloId, _address, _status, time.GetUtcNow(), _owned.Count, 0, false)]);
        }
    }

    public Task<IReadOnlyList<PartitionOwner>> OwnersAsync(CancellationToken cancellationToken)
    {
        lock (_owned)
        {
            return Task.FromResult(Owners());
        }
    }

    public Task<string> SharedSecretAsync(CancellationToken cancellationToken) => Task.FromResult(_secret);

    private IReadOnlyList<PartitionOwner> Owners() => [.. _owned.Select(p => new PartitionOwner(p, options.SiloId, _address, 1))];
}
