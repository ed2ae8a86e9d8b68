namespace Metering.Silo.ApiKeys;

/// <summary>Configuration section <c>ApiKeys</c>.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>A cached key in use is re-read in the background once its entry is this old, so a busy key never waits on
    /// PostgreSQL and still learns of a revoke on another silo within about this long.</summary>
    public TimeSpan CacheRefreshAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A cached entry older than this is never used (the request re-reads the key): the bound on how long another
    /// silo's revoke, expiry change or rate-limit change can go unseen here.</summary>
    public TimeSpan CacheMaxAge { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the time of each key's last use is written: one UPDATE for all keys used since, off the request path.</summary>
    public TimeSpan LastUsedFlushInterval { get; set; } = TimeSpan.FromMinutes(1);
}
