using System.Text.Json;
using Metering.Gateway.RateLimits;
using Metering.Grains.Audit;
using Metering.Silo.ApiKeys;
using Metering.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Metering.UnitTests.RateLimits;

public sealed class RateLimitRejectionsTests
{
    private static readonly RateLimit s_strict = new(1, 2);

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
    private readonly RecordingAudit _audit = new();

    [Fact]
    public void Each_key_refused_since_the_last_summary_gets_one_entry_with_its_count()
    {
        var rejections = new RateLimitRejections(_audit, _clock, NullLogger<RateLimitRejections>.Instance);
        ApiKeyGrant a = Grant("t1", "mk_aaaaaaaa");
        ApiKeyGrant b = Grant("t2", "mk_bbbbbbbb");
        for (int i = 0; i < 3; i++)
        {
            rejections.Record(a, s_strict);
        }

        rejections.Record(b, s_strict);
        _clock.Advance(RateLimitRejections.Interval);

        Assert.Equal(2, rejections.Summarize());
        AuditEntry first = Assert.Single(_audit.Entries, e => e.TenantId == "t1");
        Assert.Equal(RateLimitRejections.Action, first.Action);
        Assert.Equal("api_key:mk_aaaaaaaa", first.Actor);
        Assert.Equal(_clock.GetUtcNow(), first.At);
        JsonElement details = JsonDocument.Parse(first.DetailsJson).RootElement;
        Assert.Equal(3, details.GetProperty("rejected").GetInt64());
        Assert.Equal(a.KeyId, details.GetProperty("key_id").GetGuid());
        Assert.Equal("2026-11-22T10:00:00Z", details.GetProperty("from").GetString());
        Assert.Equal("2026-11-22T10:01:00Z", details.GetProperty("to").GetString());
        Assert.Equal(2, details.GetProperty("burst").GetInt32());
        Assert.Equal(1, JsonDocument.Parse(Assert.Single(_audit.Entries, e => e.TenantId == "t2").DetailsJson).RootElement.GetProperty("rejected").GetInt64());

        Assert.Equal(0, rejections.Summarize());
        Assert.Equal(2, _audit.Entries.Count);
    }

    [Fact]
    public void The_limiter_uses_the_tenants_limit_over_the_default_and_counts_refusals()
    {
        var rejections = new RateLimitRejections(_audit, _clock, NullLogger<RateLimitRejections>.Instance);
        var limiter = new RateLimiter(new RateLimitOptions { RequestsPerSecond = 1000, Burst = 5 }, rejections, _clock);
        ApiKeyGrant strict = Grant("t1", "mk_strict0") with { RateLimit = s_strict };
        ApiKeyGrant standard = Grant("t1", "mk_default");

        Assert.Equal([true, true, false, false], Enumerable.Range(0, 4).Select(_ => limiter.Acquire(strict).Allowed));
        Assert.Equal(5, Enumerable.Range(0, 6).Count(_ => limiter.Acquire(standard).Allowed));
        Assert.Equal(new RateLimit(1000, 5), limiter.Default);

        Assert.Equal(2, rejections.Summarize());
        Assert.Equal([2L, 1L], _audit.Entries.OrderBy(e => e.Actor == "api_key:mk_default")
            .Select(e => JsonDocument.Parse(e.DetailsJson).RootElement.GetProperty("rejected").GetInt64()));
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(-1, 10)]
    [InlineData(10, 0)]
    [InlineData(2_000_000, 10)]
    public void A_default_outside_the_bounds_is_refused_at_start(double perSecond, int burst)
        => Assert.Throws<InvalidOperationException>(() => new RateLimitOptions { RequestsPerSecond = perSecond, Burst = burst }.Default);

    private static ApiKeyGrant Grant(string tenant, string prefix) => new(Guid.NewGuid(), tenant, prefix, ApiScopes.All, null, null, null);

    private sealed class RecordingAudit : IAuditLog
    {
        public List<AuditEntry> Entries { get; } = [];

        public void Record(AuditEntry entry) => Entries.Add(entry);
    }
}
