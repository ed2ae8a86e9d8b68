using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metering.Silo.ApiKeys;

/// <summary>
/// Authenticates API keys without a PostgreSQL round trip per request: each silo caches what it read of a key (its grant)
/// for a few seconds. How a change made on one silo (a revoke, a tenant's new rate limit) reaches the others:
/// <list type="bullet">
/// <item>the silo that makes the change forgets its own entries at once (<see cref="Forget"/>), so there it applies to the
/// next request;</item>
/// <item>every other silo re-reads a key in use in the background once its entry is <see cref="ApiKeyOptions.CacheRefreshAfter"/>
/// old (2 s), and never uses an entry older than <see cref="ApiKeyOptions.CacheMaxAge"/> (5 s): a revoke committed at T is
/// refused by every silo that can reach PostgreSQL from T + 5 s at the latest, about T + 2 s for a busy key. There is no
/// message between silos to lose; the bound holds however many silos there are.</item>
/// </list>
/// A busy key therefore costs one query per silo every ~2 s, never one per request. Expiry needs no query: it is judged on
/// every request against the cached <see cref="ApiKeyGrant.ExpiresAt"/>. When PostgreSQL cannot be reached, a silo keeps
/// using what it last read (it cannot take writes then anyway, and readiness says so) rather than refusing every key.
/// Unknown keys are not cached, so a key made on another silo works at once.
/// </summary>
public sealed class ApiKeyAuthenticator(IApiKeyLookup lookup, ApiKeyOptions options, [FromKeyedServices(AccessClock.Key)] TimeProvider clock,
    ILogger<ApiKeyAuthenticator> logger)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, KeyUse> _uses = new();

    // Bumped by Forget: a read that started before a forget must not put back what it read (it may predate the revoke).
    private long _forgets;

    public async ValueTask<ApiKeyAuthentication> AuthenticateAsync(string apiKey, CancellationToken cancellationToken = default)
    {
        string hash = ApiKeySecrets.Hash(apiKey);
        long forgets = Interlocked.Read(ref _forgets);
        Entry? entry = _entries.GetValueOrDefault(hash);
        if (entry is not null)
        {
            TimeSpan age = clock.GetElapsedTime(entry.LoadedAt);
            if (age < options.CacheMaxAge)
            {
                if (age >= options.CacheRefreshAfter && Interlocked.CompareExchange(ref entry.Refreshing, 1, 0) == 0)
                {
                    _ = RefreshAsync(hash, entry, forgets);
                }

                return Judge(entry);
            }
        }

        try
        {
            entry = await LoadAsync(hash, forgets, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (entry is not null && ex is not OperationCanceledException)
        {
            // Served again for a while, so an outage does not make every request wait on a failing connection; the
            // background refresh keeps trying meanwhile.
            logger.LogWarning(ex, "Could not re-read API key {Prefix}; using what this silo read last", entry.Grant.Prefix);
            entry = new Entry(entry.Grant, clock.GetTimestamp(), entry.Use);
            Store(hash, entry, forgets);
        }

        return entry is null ? new ApiKeyAuthentication(ApiKeyStatus.Unknown, null) : Judge(entry);
    }

    /// <summary>Drops this silo's cached view of a key (after revoking it here), so the next request re-reads it.</summary>
    public void Forget(Guid keyId) => ForgetWhere(grant => grant.KeyId == keyId);

    /// <summary>Drops this silo's cached view of every key of a tenant (after changing its rate limit here).</summary>
    public void ForgetTenant(string tenantId) => ForgetWhere(grant => grant.TenantId == tenantId);

    /// <summary>The last use of each key used since the previous call, once each; the caller writes them.</summary>
    public IReadOnlyList<(Guid KeyId, DateTimeOffset UsedAt)> TakeUses()
    {
        var uses = new List<(Guid, DateTimeOffset)>();
        foreach ((Guid keyId, KeyUse use) in _uses)
        {
            long ticks = Interlocked.Exchange(ref use.LastUsedUtcTicks, 0);
            if (ticks != 0)
            {
                uses.Add((keyId, new DateTimeOffset(ticks, TimeSpan.Zero)));
            }
        }

        return uses;
    }

    /// <summary>Gives back uses that could not be written, unless a later use was recorded meanwhile.</summary>
    public void ReturnUses(IEnumerable<(Guid KeyId, DateTimeOffset UsedAt)> uses)
    {
        foreach ((Guid keyId, DateTimeOffset usedAt) in uses)
        {
            KeyUse use = _uses.GetOrAdd(keyId, static _ => new KeyUse());
            Interlocked.CompareExchange(ref use.LastUsedUtcTicks, usedAt.UtcTicks, 0);
        }
    }

    private ApiKeyAuthentication Judge(Entry entry)
    {
        DateTimeOffset now = clock.GetUtcNow();
        ApiKeyStatus status = entry.Grant.StatusAt(now);
        if (status == ApiKeyStatus.Active)
        {
            // A plain store per request; ApiKeyUsageWriter writes these once a minute.
            Volatile.Write(ref entry.Use.LastUsedUtcTicks, now.UtcTicks);
        }

        return new ApiKeyAuthentication(status, entry.Grant);
    }

    private async Task<Entry?> LoadAsync(string hash, long forgets, CancellationToken cancellationToken)
    {
        ApiKeyGrant? grant = await lookup.FindAsync(hash, cancellationToken).ConfigureAwait(false);
        if (grant is null)
        {
            _entries.TryRemove(hash, out _);
            return null;
        }

        var entry = new Entry(grant, clock.GetTimestamp(), _uses.GetOrAdd(grant.KeyId, static _ => new KeyUse()));
        Store(hash, entry, forgets);
        return entry;
    }

    /// <summary>Caches what a read found, unless a <see cref="Forget"/> ran since the read began: then the read may predate
    /// a revoke made here, and it serves only the request that made it.</summary>
    private void Store(string hash, Entry entry, long forgets)
    {
        _entries[hash] = entry;
        if (Interlocked.Read(ref _forgets) != forgets)
        {
            // A forget that counted after this check scans after this write, and removes the entry itself.
            _entries.TryRemove(new KeyValuePair<string, Entry>(hash, entry));
        }
    }

    private async Task RefreshAsync(string hash, Entry stale, long forgets)
    {
        try
        {
            await LoadAsync(hash, forgets, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not re-read API key {Prefix}; retrying on its next use", stale.Grant.Prefix);
        }
        finally
        {
            // Lets a later request try again (after a success the entry is replaced, and this one is dropped).
            Volatile.Write(ref stale.Refreshing, 0);
        }
    }

    private void ForgetWhere(Func<ApiKeyGrant, bool> match)
    {
        Interlocked.Increment(ref _forgets);
        foreach ((string hash, Entry entry) in _entries)
        {
            if (match(entry.Grant))
            {
                _entries.TryRemove(hash, out _);
            }
        }
    }

    private sealed class Entry(ApiKeyGrant grant, long loadedAt, KeyUse use)
    {
        public readonly ApiKeyGrant Grant = grant;
        public readonly long LoadedAt = loadedAt;
        public readonly KeyUse Use = use;
        public int Refreshing;
    }

    private sealed class KeyUse
    {
        public long LastUsedUtcTicks;
    }
}
