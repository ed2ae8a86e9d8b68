using System.Collections.Concurrent;
using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Audit;
using Metering.Silo.ApiKeys;

namespace Metering.Gateway.RateLimits;

/// <summary>
/// Audits 429s as a summary, never a row per refused request (a client stuck in a retry loop would flood the audit log): a
/// refusal only increments a counter of its key, and once a minute (<see cref="Interval"/>) each key refused since then gets
/// one <c>rate_limit.exceeded</c> entry carrying the count. So at most one entry per key and silo a minute.
/// </summary>
public sealed class RateLimitRejections(IAuditLog audit, [FromKeyedServices(AccessClock.Key)] TimeProvider clock, ILogger<RateLimitRejections> logger) : BackgroundService
{
    public const string Action = "rate_limit.exceeded";

    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<Guid, Tally> _tallies = new();
    private readonly Lock _summarizing = new();
    private DateTimeOffset _since = clock.GetUtcNow();

    /// <summary>Counts one refused request of the key (on the request path: one interlocked increment).</summary>
    public void Record(ApiKeyGrant grant, RateLimit limit)
    {
        Tally tally = _tallies.GetOrAdd(grant.KeyId, static (_, g) => new Tally(g.TenantId, g.Prefix), grant);
        tally.Limit = limit;
        Interlocked.Increment(ref tally.Count);
    }

    /// <summary>Records one audit entry for each key refused since the last summary; returns how many.</summary>
    public int Summarize()
    {
        lock (_summarizing)
        {
            DateTimeOffset now = clock.GetUtcNow();
            int entries = 0;
            foreach ((Guid keyId, Tally tally) in _tallies)
            {
                long refused = Interlocked.Exchange(ref tally.Count, 0);
                if (refused == 0)
                {
                    continue;
                }

                RateLimit limit = tally.Limit;
                audit.Record(new AuditEntry(tally.TenantId, now, Action, "api_key:" + tally.Prefix, null, JsonSerializer.Serialize(new
                {
                    key_id = keyId,
                    key_prefix = tally.Prefix,
                    rejected = refused,
                    from = Wire.Time(_since),
                    to = Wire.Time(now),
                    requests_per_second = limit.RequestsPerSecond,
                    burst = limit.Burst,
                })));
                entries++;
            }

            _since = now;
            return entries;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Summarize();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        int entries = Summarize();
        if (entries > 0)
        {
            logger.LogInformation("Audited the rate-limit refusals of {Keys} keys before stopping", entries);
        }
    }

    private sealed class Tally(string tenantId, string prefix)
    {
        public readonly string TenantId = tenantId;
        public readonly string Prefix = prefix;
        public long Count;
        public RateLimit Limit = new(0, 0);
    }
}
