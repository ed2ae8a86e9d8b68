using Metering.Silo.ApiKeys;

namespace Metering.UnitTests.ApiKeys;

public sealed class ApiKeyScopesTests
{
    [Fact]
    public void Scope_names_round_trip_in_a_fixed_order()
    {
        Assert.Equal(["ingest", "read", "manage"], ApiScopes.All.ToNames());
        Assert.Equal(["ingest", "manage"], (ApiScopes.Manage | ApiScopes.Ingest).ToNames());
        Assert.Empty(ApiScopes.None.ToNames());
        Assert.Equal(ApiScopes.Read | ApiScopes.Manage, ApiScopeNames.FromNames(["manage", "read"]));
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("Manage")]
    [InlineData("")]
    [InlineData(null)]
    public void Only_the_three_tenant_scopes_parse(string? name)
    {
        Assert.False(ApiScopeNames.TryParse(name, out ApiScopes scope));
        Assert.Equal(ApiScopes.None, scope);
    }

    [Fact]
    public void A_stored_scope_this_version_does_not_know_grants_nothing()
        => Assert.Equal(ApiScopes.Ingest, ApiScopeNames.FromNames(["ingest", "billing"]));

    [Fact]
    public void A_grant_is_revoked_before_it_is_expired_and_expires_at_its_instant()
    {
        var now = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
        var grant = new ApiKeyGrant(Guid.NewGuid(), "t", "mk_", ApiScopes.All, now, null, null);
        Assert.Equal(ApiKeyStatus.Active, grant.StatusAt(now.AddTicks(-1)));
        Assert.Equal(ApiKeyStatus.Expired, grant.StatusAt(now));
        Assert.Equal(ApiKeyStatus.Revoked, (grant with { RevokedAt = now.AddDays(-1) }).StatusAt(now.AddDays(-2)));
        Assert.Equal(ApiKeyStatus.Active, (grant with { ExpiresAt = null }).StatusAt(now.AddYears(10)));
    }

    [Fact]
    public void Generated_keys_show_eleven_characters_and_other_keys_little_of_themselves()
    {
        string key = ApiKeySecrets.NewKey();
        Assert.StartsWith("mk_", key, StringComparison.Ordinal);
        Assert.Equal(35, key.Length);
        Assert.Equal(key[..11], ApiKeySecrets.Prefix(key));
        Assert.Equal("boo", ApiKeySecrets.Prefix("bootstrap-key"));
        Assert.Equal("lo", ApiKeySecrets.Prefix("load-key"));
        Assert.Equal("", ApiKeySecrets.Prefix("abc"));
        Assert.Equal(64, ApiKeySecrets.Hash(key).Length);
        Assert.NotEqual(ApiKeySecrets.Hash(key), ApiKeySecrets.Hash(ApiKeySecrets.NewKey()));
    }
}
