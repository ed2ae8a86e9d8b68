using Metering.Silo.ApiKeys;
using Metering.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Metering.UnitTests.ApiKeys;

/// <summary>The per-silo key cache: no database read per request, and a change made elsewhere seen within the max age.</summary>
public sealed class ApiKeyAuthenticatorTests
{
    private const string Secret = "mk_0123456789abcdefghijklmnopqrstuv";

    private static readonly ApiKeyOptions s_options = new() { CacheRefreshAfter = TimeSpan.FromSeconds(2), CacheMaxAge = TimeSpan.FromSeconds(5) };

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
    private readonly ScriptedLookup _lookup = new();
    private readonly ApiKeyGrant _grant = new(Guid.NewGuid(), "t1", "mk_0123456", ApiScopes.Ingest, null, null, null);

    private ApiKeyAuthenticator NewAuthenticator(ApiKeyOptions? options = null)
        => new(_lookup, options ?? s_options, _clock, NullLogger<ApiKeyAuthenticator>.Instance);

    [Fact]
    public async Task A_key_in_use_is_read_once_not_per_request()
    {
        _lookup.Answer = _grant;
        ApiKeyAuthenticator authenticator = NewAuthenticator();

        for (int i = 0; i < 100; i++)
        {
            ApiKeyAuthentication result = await authenticator.AuthenticateAsync(Secret);
            Assert.Equal(ApiKeyStatus.Active, result.Status);
            Assert.Same(_grant, result.Grant);
        }

        Assert.Equal(1, _lookup.Reads);
        Assert.Equal(ApiKeySecrets.Hash(Secret), _lookup.LastHash);
    }

    [Fact]
    public async Task An_entry_due_for_refresh_answers_at_once_and_is_read_again_in_the_background()
    {
        _lookup.Answer = _grant;
        ApiKeyAuthenticator authenticator = NewAuthenticator();
        await authenticator.AuthenticateAsync(Secret);
        _lookup.Answer = _grant with { RevokedAt = _clock.GetUtcNow() };
        _clock.Advance(s_options.CacheRefreshAfter);

        // This request is answered from the cache; the stand-in answers synchronously, so the re-read is done when it returns.
        Assert.Equal(ApiKeyStatus.Active, (await authenticator.AuthenticateAsync(Secret)).Status);
        Assert.Equal(2, _lookup.Reads);
        Assert.Equal(ApiKeyStatus.Revoked, (await authenticator.AuthenticateAsync(Secret)).Status);
        Assert.Equal(2, _lookup.Reads);
    }

    [Fact]
    public async Task A_revoke_made_on_another_silo_is_seen_once_the_entry_reaches_its_max_age()
    {
        _lookup.Answer = _grant;
        var options = new ApiKeyOptions { CacheRefreshAfter = TimeSpan.FromHours(1), CacheMaxAge = TimeSpan.FromSeconds(5) };
        ApiKeyAuthenticator authenticator = NewAuthenticator(options);
        await authenticator.AuthenticateAsync(Secret);
        _lookup.Answer = _grant with { RevokedAt = _clock.GetUtcNow() };

        _clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Equal(ApiKeyStatus.Active, (await authenticator.AuthenticateAsync(Secret)).Status);
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(ApiKeyStatus.Revoked, (await authenticator.AuthenticateAsync(Secret)).Status);
        Assert.Equal(2, _lookup.Reads);
    }

    [Fact]
    public async Task Forget_makes_the_next_request_read_the_key_again()
    {
        _lookup.Answer = _grant;
        ApiKeyAuthenticator authenticator = NewAuthenticator();
        await authenticator.AuthenticateAsync(Secret);
        _lookup.Answer = _grant with { RevokedAt = _clock.GetUtcNow() };

        authenticator.Forget(Guid.NewGuid());
        Assert.Equal(ApiKeyStatus.Active, (await authenticator.AuthenticateAsync(Secret)).Status);
        authenticator.Forget(_grant.KeyId);
        Assert.Equal(ApiKeyStatus.Revoked, (await authenticator.AuthenticateAsync(Secret)).Status);
        Assert.Equal(2, _lookup.Reads);
    }

    [Fact]
    public async Task Forget_tenant_drops_the_keys_of_that_tenant_only()
    {
        _lookup.Answer = _grant;
        ApiKeyAuthenticator authenticator = NewAuthenticator();
        await authenticator.AuthenticateAsync(Secret);

        authenticator.ForgetTenant("t2");
        await authenticator.AuthenticateAsync(Secret);
        Assert.Equal(1, _lookup.Reads);
        authenticator.ForgetTenant("t1");
        await authenticator.AuthenticateAsync(Secret);
        Assert.Equal(2, _lookup.Reads);
    }

    [Fact]
    public async Task A_read_that_began_before_a_forget_serves_its_request_but_is_not_cached()
    {
        ApiKeyAuthenticator authenticator = NewAuthenticator();
        var pending = new TaskCompletionSource<ApiKeyGrant?>();
        _lookup.Pending = pending;

        ValueTask<ApiKeyAuthentication> inFlight = authenticator.AuthenticateAsync(Secret);
        authenticator.Forget(_grant.KeyId);
        pending.SetResult(_grant);
        Assert.Equal(ApiKeyStatus.Active, (await inFlight).Status);

        _lookup.Pending = null;
        _lookup.Answer = _grant with { RevokedAt = _clock.GetUtcNow() };
        Assert.Equal(ApiKeyStatus.Revoked, (await authenticator.AuthenticateAsync(Secret)).Status);
    }

    [Fact]
    public async Task Unknown_keys_are_not_cached_so_a_key_made_elsewhere_works_at_once()
    {
        ApiKeyAuthenticator authenticator = NewAuthenticator();
        ApiKeyAuthentication unknown = await authenticator.AuthenticateAsync(Secret);
        Assert.Equal(ApiKeyStatus.Unknown, unknown.Status);
        Assert.Null(unknown.Grant);

        _lookup.Answer = _grant;
        Assert.Equal(ApiKeyStatus.Active, (await authenticator.AuthenticateAsync(Secret)).Status);
        Assert.Equal(2, _lookup.Reads);
    }

    [Fact]
    public async Task Expiry_is_judged_on_every_request_without_reading_the_key()
    {
        _lookup.Answer = _grant with { ExpiresAt = _clock.GetUtcNow().AddSeconds(1) };
        ApiKeyAuthenticator authenticator = NewAuthenticator();
        Assert.Equal(ApiKeyStatus.Active, (await authenticator.AuthenticateAsync(Secret)).Status);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ApiKeyStatus.Expired, (await authenticator.AuthenticateAsync(Secret)).Status);
        Assert.Equal(1, _lookup.Reads);
    }

    [Fact]
    public async Task When_the_database_cannot_be_read_the_last_grant_read_is_kept()
    {
        _lookup.Answer = _grant;
        ApiKeyAuthenticator authenticator = NewAuthenticator();
        await authenticator.AuthenticateAsync(Secret);
        _lookup.Failure = new TimeoutException("PostgreSQL is away");

        _clock.Advance(s_options.CacheMaxAge);
        Assert.Equal(ApiKeyStatus.Active, (await authenticator.AuthenticateAsync(Secret)).Status);
        Assert.Equal(2, _lookup.Reads);

        // Kept as a fresh entry: the next requests do not each wait on the failing database.
        Assert.Equal(ApiKeyStatus.Active, (await authenticator.AuthenticateAsync(Secret)).Status);
        Assert.Equal(2, _lookup.Reads);

        _clock.Advance(s_options.CacheRefreshAfter);
        Assert.Equal(ApiKeyStatus.Active, (await authenticator.AuthenticateAsync(Secret)).Status);
        Assert.Equal(3, _lookup.Reads);

        await Assert.ThrowsAsync<TimeoutException>(() => authenticator.AuthenticateAsync("mk_another_key_never_seen_before_here").AsTask());
    }

    [Fact]
    public async Task Uses_are_taken_once_with_the_time_of_the_last_request()
    {
        _lookup.Answer = _grant;
        ApiKeyAuthenticator authenticator = NewAuthenticator();
        await authenticator.AuthenticateAsync(Secret);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await authenticator.AuthenticateAsync(Secret);

        (Guid keyId, DateTimeOffset usedAt) = Assert.Single(authenticator.TakeUses());
        Assert.Equal(_grant.KeyId, keyId);
        Assert.Equal(_clock.GetUtcNow(), usedAt);
        Assert.Empty(authenticator.TakeUses());

        authenticator.ReturnUses([(keyId, usedAt)]);
        Assert.Equal(usedAt, Assert.Single(authenticator.TakeUses()).UsedAt);
    }

    [Fact]
    public async Task A_returned_use_does_not_overwrite_a_later_one()
    {
        _lookup.Answer = _grant;
        ApiKeyAuthenticator authenticator = NewAuthenticator();
        await authenticator.AuthenticateAsync(Secret);
        (Guid keyId, DateTimeOffset earlier) = Assert.Single(authenticator.TakeUses());
        _clock.Advance(TimeSpan.FromSeconds(1));
        await authenticator.AuthenticateAsync(Secret);

        authenticator.ReturnUses([(keyId, earlier)]);
        Assert.Equal(_clock.GetUtcNow(), Assert.Single(authenticator.TakeUses()).UsedAt);
    }

    [Fact]
    public async Task A_refused_key_is_not_recorded_as_used()
    {
        _lookup.Answer = _grant with { RevokedAt = _clock.GetUtcNow() };
        ApiKeyAuthenticator authenticator = NewAuthenticator();
        Assert.Equal(ApiKeyStatus.Revoked, (await authenticator.AuthenticateAsync(Secret)).Status);
        Assert.Empty(authenticator.TakeUses());
    }

    private sealed class ScriptedLookup : IApiKeyLookup
    {
        public ApiKeyGrant? Answer { get; set; }

        public Exception? Failure { get; set; }

        public TaskCompletionSource<ApiKeyGrant?>? Pending { get; set; }

        public int Reads { get; private set; }

        public string? LastHash { get; private set; }

        public Task<ApiKeyGrant?> FindAsync(string keyHash, CancellationToken cancellationToken)
        {
            Reads++;
            LastHash = keyHash;
            return Failure is not null ? Task.FromException<ApiKeyGrant?>(Failure) : Pending?.Task ?? Task.FromResult(Answer);
        }
    }
}
