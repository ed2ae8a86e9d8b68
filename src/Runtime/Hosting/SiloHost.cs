using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Metering.Runtime;

/// <summary>Runs the silo's life in the cluster: joins, then every heartbeat interval a placement round (heartbeat and lease
/// renewal, the directory, balanced placement by handoff and claim), idle collection, and a graceful leave on stop. Leases run
/// on real time (the database's), whatever clock the grains are given, so the round's timer does too.</summary>
internal sealed class SiloHost(Silo silo, Catalog catalog, IMembership membership, ClusterCredential credential, SiloOptions options, TimeProvider time, ILogger<SiloHost> logger)
    : IHostedService, IAsyncDisposable
{
    private readonly SemaphoreSlim _round = new(1, 1);
    private readonly HashSet<int> _handingOff = [];
    private Task _handoff = Task.CompletedTask;
    private readonly CancellationTokenSource _stopKeeper = new();
    private ITimer? _heartbeat;
    private ITimer? _collector;
    private Thread? _keeper;

    private PartitionTable Partitions => catalog.Partitions;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        credential.Set(options.ClusterSecret is { Length: > 0 } secret ? secret : await membership.SharedSecretAsync(cancellationToken).ConfigureAwait(false));
        await membership.JoinAsync(cancellationToken).ConfigureAwait(false);
        silo.Status = SiloStatus.Joining;
        await RoundAsync().ConfigureAwait(false);
        logger.LogInformation("Silo {Silo} joined; owns {Count} of {Total} partitions", options.SiloId, Partitions.OwnedCount, options.Partitions);
        _heartbeat = TimeProvider.System.CreateTimer(_ => _ = RoundAsync(), null, options.HeartbeatInterval, options.HeartbeatInterval);
        _collector = time.CreateTimer(_ => _ = CollectAsync(), null, options.CollectionInterval, options.CollectionInterval);
        if (membership.Shared)
        {
            _keeper = new Thread(KeepLeases) { IsBackground = true, Name = "lease keeper" };
            _keeper.Start();
        }
    }

    /// <summary>The lease keeper: on a thread of its own, with synchronous I/O, it renews this silo's leases every heartbeat
    /// interval, so a silo whose thread pool is saturated (a backlog of requests queued ahead of the placement round's timer
    /// and continuations) keeps serving the partitions it holds. It only ever extends the leases, and only when every
    /// partition this silo serves was renewed at the epoch it is served at; anything else is left to the placement round.</summary>
    private void KeepLeases()
    {
        while (!_stopKeeper.Token.WaitHandle.WaitOne(options.HeartbeatInterval))
        {
            if (silo.Status != SiloStatus.Active)
            {
                continue;
            }

            try
            {
                long sent = Stopwatch.GetTimestamp();
                IReadOnlyList<(int Partition, long Epoch)>? renewed = membership.KeepAlive(catalog.Count);
                if (renewed is not null && Partitions.Owned.All(renewed.Contains))
                {
                    Partitions.LeasesHoldUntil(HoldUntil(sent));
                }
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Lease renewal of silo {Silo} failed", options.SiloId);
            }
        }
    }

    /// <summary>How long leases renewed by a heartbeat sent at <paramref name="sent"/> are trusted here: 80 % of a lease, so this
    /// silo stops serving before the others may take its partitions.</summary>
    private long HoldUntil(long sent) => sent + (long)(options.LeaseDuration.TotalSeconds * 0.8 * Stopwatch.Frequency);

    /// <summary>One placement round. Rounds never overlap; a handoff runs beside them, so heartbeats go on while it flushes.</summary>
    internal async Task RoundAsync()
    {
        if (!await _round.WaitAsync(0).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            if (silo.Status is SiloStatus.Leaving or SiloStatus.Dead)
            {
                return;
            }

            long sent = Stopwatch.GetTimestamp();
            MembershipSnapshot snapshot = await membership.HeartbeatAsync(catalog.Count, CancellationToken.None).ConfigureAwait(false);
            if (snapshot.DeclaredDead)
            {
                await RejoinAsync().ConfigureAwait(false);
                return;
            }

            ApplyRenewals(snapshot.Renewed, sent);
            silo.Directory.Update(options.Partitions, snapshot.Owners);
            await PlaceAsync(snapshot.LiveSilos).ConfigureAwait(false);
            if (silo.Status == SiloStatus.Joining)
            {
                await membership.SetStatusAsync(SiloStatus.Active, CancellationToken.None).ConfigureAwait(false);
                silo.Status = SiloStatus.Active;
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Placement round of silo {Silo} failed", options.SiloId);
        }
        finally
        {
            _round.Release();
        }
    }

    /// <summary>Keeps serving the partitions whose lease was renewed, at the renewed epoch, until shortly before the lease can
    /// lapse; stops serving, and drops the activations of, partitions renewed no more (another silo took them).</summary>
    private void ApplyRenewals(IReadOnlyList<(int Partition, long Epoch)> renewed, long sent)
    {
        var epochs = renewed.ToDictionary(r => r.Partition, r => r.Epoch);
        var lost = Partitions.Owned
            .Where(o => !epochs.TryGetValue(o.Partition, out long current) || current != o.Epoch)
            .Select(o => o.Partition)
            .ToHashSet();

        lock (_handingOff)
        {
            foreach ((int partition, long epoch) in renewed)
            {
                // A lease held in the database but not here: a claim whose answer was lost. It is ours; serve it.
                if (!Partitions.IsServing(partition) && !_handingOff.Contains(partition) && !lost.Contains(partition))
                {
                    Partitions.Own(partition, epoch);
                }
            }
        }

        Partitions.LeasesHoldUntil(membership.Shared ? HoldUntil(sent) : long.MaxValue);
        if (lost.Count > 0)
        {
            logger.LogWarning("Silo {Silo} lost {Count} partitions to other silos", options.SiloId, lost.Count);
            _ = GiveUpAsync(lost, flush: false, release: false);
        }
    }

    /// <summary>Balanced placement: hands off what is over this silo's share, or claims free partitions up to it.</summary>
    private async Task PlaceAsync(IReadOnlyList<string> liveSilos)
    {
        List<int> owned = [.. Partitions.Owned.Select(o => o.Partition)];
        PlacementPlan plan = PlacementPlan.For(options.SiloId, liveSilos, options.Partitions, owned);
        if (plan.Release.Count > 0)
        {
            if (_handoff.IsCompleted)
            {
                _handoff = HandOffAsync(plan.Release);
            }

            return;
        }

        if (plan.Claim > 0 && _handoff.IsCompleted)
        {
            IReadOnlyList<(int Partition, long Epoch)> claimed = await membership.ClaimAsync(plan.Claim, CancellationToken.None).ConfigureAwait(false);
            foreach ((int partition, long epoch) in claimed)
            {
                Partitions.Own(partition, epoch);
            }

            if (claimed.Count > 0)
            {
                logger.LogInformation("Silo {Silo} claimed {Count} partitions", options.SiloId, claimed.Count);
                await silo.Directory.RefreshAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Handoff: stop serving, flush each activation's state under the old fence, then release the leases; another
    /// silo claims them at a higher epoch. Writes in flight either commit before the release or are refused by the fence.</summary>
    private async Task HandOffAsync(IReadOnlyList<int> partitions)
    {
        await Task.Yield();
        var set = partitions.ToHashSet();
        lock (_handingOff)
        {
            _handingOff.UnionWith(set);
        }

        try
        {
            await GiveUpAsync(set, flush: true, release: true).ConfigureAwait(false);
            logger.LogInformation("Silo {Silo} handed off {Count} partitions", options.SiloId, set.Count);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Handoff of {Count} partitions failed; the next round retries", set.Count);
        }
        finally
        {
            lock (_handingOff)
            {
                _handingOff.ExceptWith(set);
            }
        }
    }

    /// <summary>Stops serving <paramref name="partitions"/> and deactivates their activations: flushed when handed off, dropped
    /// when lost (their memory may be stale); then, when asked, releases their leases.</summary>
    private async Task GiveUpAsync(IReadOnlySet<int> partitions, bool flush, bool release)
    {
        foreach (int partition in partitions)
        {
            Partitions.Revoke(partition);
        }

        await catalog.DeactivatePartitionsAsync(partitions, flush).ConfigureAwait(false);
        if (release)
        {
            await membership.ReleaseAsync([.. partitions], CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The others declared this silo dead (it was paused or cut off past its lease): whatever it held may have moved,
    /// and its background jobs may be another silo's now. It drops every activation unflushed, ends the jobs of this
    /// incarnation, and joins again.</summary>
    private async Task RejoinAsync()
    {
        var all = Partitions.Owned.Select(o => o.Partition).ToHashSet();
        logger.LogWarning("Silo {Silo} was declared dead; dropping {Count} partitions and joining again", options.SiloId, all.Count);
        silo.EndIncarnation();
        await GiveUpAsync(all, flush: false, release: false).ConfigureAwait(false);
        silo.Status = SiloStatus.Joining;
        await membership.JoinAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await DisposeTimersAsync().ConfigureAwait(false);
        await _round.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            silo.Status = SiloStatus.Leaving;
            await membership.SetStatusAsync(SiloStatus.Leaving, cancellationToken).ConfigureAwait(false);
            await _handoff.ConfigureAwait(false);
            // Every partition: a handoff that failed left some not served here but still leased to this silo.
            await GiveUpAsync(Enumerable.Range(0, options.Partitions).ToHashSet(), flush: true, release: true).ConfigureAwait(false);
            await membership.SetStatusAsync(SiloStatus.Dead, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Silo {Silo} left", options.SiloId);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Silo {Silo} could not leave gracefully; its leases lapse instead", options.SiloId);
        }
        finally
        {
            silo.Status = SiloStatus.Dead;
            _round.Release();
        }
    }

    private async Task CollectAsync()
    {
        try
        {
            int collected = await catalog.CollectIdleAsync(options.IdleAge).ConfigureAwait(false);
            if (collected > 0)
            {
                logger.LogDebug("Deactivated {Count} idle activations", collected);
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Idle collection failed");
        }
    }

    private async Task DisposeTimersAsync()
    {
        if (!_stopKeeper.IsCancellationRequested)
        {
            await _stopKeeper.CancelAsync().ConfigureAwait(false);
        }

        _keeper?.Join(options.LeaseDuration);

        if (_heartbeat is not null)
        {
            await _heartbeat.DisposeAsync().ConfigureAwait(false);
        }

        if (_collector is not null)
        {
            await _collector.DisposeAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => new(DisposeTimersAsync());
}
