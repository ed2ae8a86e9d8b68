using System.Net.Http.Json;
using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.IntegrationTests.Infrastructure;
using Metering.Silo.ApiKeys;
using Metering.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Metering.IntegrationTests;

/// <summary>Scoped API keys over HTTP: the scope of every endpoint, making, listing, expiring, revoking and rotating keys,
/// their audit entries, and how a revoke reaches another silo.</summary>
[Collection(AppCollection.Name)]
public sealed class ApiKeysTests(AppFixture app)
{
    private const string Meter = "calls";

    /// <summary>One request to an endpoint and the scope it needs.</summary>
    public sealed record Probe(string Scope, HttpMethod Method, string Path, object? Body = null)
    {
        public override string ToString() => $"{Method} {Path}";
    }

    public static TheoryData<string> Scopes => new() { "ingest", "read", "manage" };

    /// <summary>Every endpoint of /v1 (what it answers past authorization does not matter here: a 404 or 409 is allowed).</summary>
    private static IReadOnlyList<Probe> Probes(string subject)
    {
        string unique = Guid.NewGuid().ToString("N")[..10];
        string missing = Guid.NewGuid().ToString();
        object Event(string key) => new { idempotency_key = key, subject, event_type = "call" };
        return
        [
            new("ingest", HttpMethod.Post, "/v1/events", Event("e-" + unique)),
            new("ingest", HttpMethod.Post, "/v1/events/batch", new { events = new[] { Event("b-" + unique) } }),
            new("ingest", HttpMethod.Post, "/v1/quotas/consume", new { subject, meter = Meter, amount = "1", idempotency_key = "c-" + unique }),

            new("read", HttpMethod.Get, "/v1/subscriptions/sub_1/usage?meter=" + Meter),
            new("read", HttpMethod.Get, "/v1/subscriptions/sub_1/usage/current"),
            new("read", HttpMethod.Get, $"/v1/quotas/check?subject={Uri.EscapeDataString(subject)}&meter={Meter}"),
            new("read", HttpMethod.Get, "/v1/subscriptions/sub_1/quotas/" + Meter),
            new("read", HttpMethod.Get, "/v1/meters"),
            new("read", HttpMethod.Get, "/v1/meters/" + Meter),
            new("read", HttpMethod.Get, "/v1/customers/cust_1"),
            new("read", HttpMethod.Get, "/v1/plans/pro"),
            new("read", HttpMethod.Get, "/v1/plans/pro/prices"),
            new("read", HttpMethod.Get, "/v1/plans/pro/versions"),
            new("read", HttpMethod.Get, "/v1/subscriptions/sub_1"),
            new("read", HttpMethod.Get, "/v1/invoices?subscription_id=sub_1"),
            new("read", HttpMethod.Get, "/v1/invoices/" + missing),
            new("read", HttpMethod.Get, "/v1/billing-runs/" + missing),
            new("read", HttpMethod.Get, "/v1/rerating-jobs/" + missing),
            new("read", HttpMethod.Get, "/v1/audit-events"),
            new("read", HttpMethod.Get, "/v1/cluster"),
            new("read", HttpMethod.Get, "/v1/dashboard/grains"),
            new("read", HttpMethod.Get, "/v1/dashboard/jobs"),
            new("read", HttpMethod.Get, "/v1/dashboard/subscriptions/sub_1"),
            new("read", HttpMethod.Get, "/v1/settings/rate-limit"),
            new("read", HttpMethod.Get, "/v1/signing-keys"),
            new("read", HttpMethod.Get, "/v1/signing-keys/" + missing),
            new("read", HttpMethod.Get, "/v1/settings/signatures"),
            new("read", HttpMethod.Get, "/v1/customers"),
            new("read", HttpMethod.Get, "/v1/plans"),
            new("read", HttpMethod.Get, "/v1/subscriptions?status=active"),
            new("read", HttpMethod.Get, "/v1/prices"),
            new("read", HttpMethod.Get, "/v1/quotas"),
            new("read", HttpMethod.Get, "/v1/subscriptions/sub_1/quotas"),
            new("read", HttpMethod.Get, "/v1/billing-runs"),
            new("read", HttpMethod.Get, "/v1/rerating-jobs"),
            new("read", HttpMethod.Get, "/v1/webhook-deliveries"),
            new("read", HttpMethod.Get, "/v1/webhook-deliveries/" + missing),
            new("read", HttpMethod.Post, "/v1/pricing/preview", new { model = "per_unit", properties = new { unit_price = "0.01" }, quantity = "10" }),

            new("manage", HttpMethod.Post, "/v1/meters", new { code = "m_" + unique, event_type = "other", aggregation = "count" }),
            new("manage", HttpMethod.Post, "/v1/customers", new { id = "c_" + unique, name = "C", currency = "USD", tax_rate = "0" }),
            new("manage", HttpMethod.Post, "/v1/plans", new { code = "p_" + unique, currency = "USD", interval = "month", fixed_fee = "1" }),
            new("manage", HttpMethod.Post, "/v1/subscriptions", new { id = "s_" + unique, customer_id = "cust_1", plan = "pro", subjects = new[] { "agent:" + unique } }),
            new("manage", HttpMethod.Patch, "/v1/customers/c_" + unique, new { name = "Renamed" }),
            new("manage", HttpMethod.Delete, "/v1/customers/c_" + unique),
            new("manage", HttpMethod.Patch, "/v1/meters/m_" + unique, new { name = "Renamed" }),
            new("manage", HttpMethod.Patch, "/v1/plans/p_" + unique, new { fixed_fee = "2" }),
            new("manage", HttpMethod.Post, $"/v1/plans/p_{unique}/migrate", new { }),
            new("manage", HttpMethod.Post, $"/v1/meters/m_{unique}/archive"),
            new("manage", HttpMethod.Post, $"/v1/subscriptions/s_{unique}/subjects", new { subject = "agent:extra:" + unique }),
            new("manage", HttpMethod.Post, $"/v1/subscriptions/s_{unique}/subjects/agent:extra:{unique}/remove", new { }),
            new("manage", HttpMethod.Post, $"/v1/subscriptions/s_{unique}/change-plan", new { plan = "p_" + unique, at = "period_end" }),
            new("manage", HttpMethod.Post, $"/v1/subscriptions/s_{unique}/cancel", new { at = "period_end" }),
            new("manage", HttpMethod.Post, "/v1/plans/pro/prices", new { meter = Meter, model = "per_unit", properties = new { unit_price = "0.01" }, effective_from = "2020-01-01T00:00:00Z" }),
            new("manage", HttpMethod.Put, "/v1/subscriptions/sub_1/quotas/" + Meter, new { limit = "1000000", period = "month", overflow = "block" }),
            new("manage", HttpMethod.Patch, "/v1/subscriptions/sub_1/quotas/" + Meter, new { increment = "1" }),
            new("manage", HttpMethod.Post, "/v1/invoices", new { subscription_id = "sub_1" }),
            new("manage", HttpMethod.Post, $"/v1/invoices/{missing}/finalize"),
            new("manage", HttpMethod.Post, $"/v1/invoices/{missing}/void"),
            new("manage", HttpMethod.Post, $"/v1/invoices/{missing}/refresh"),
            new("manage", HttpMethod.Post, "/v1/billing-runs", new { period_end_before = "2001-01-01T00:00:00Z" }),
            new("manage", HttpMethod.Post, "/v1/rerating-jobs", new { customer_ids = new[] { "cust_1" }, from = "2001-01-01T00:00:00Z", to = "2001-01-02T00:00:00Z" }),
            new("manage", HttpMethod.Post, "/v1/api-keys", new { scopes = new[] { "read" } }),
            new("manage", HttpMethod.Get, "/v1/api-keys"),
            new("manage", HttpMethod.Delete, "/v1/api-keys/" + missing),
            new("manage", HttpMethod.Put, "/v1/settings/rate-limit", new { requests_per_second = 1000, burst = 1000000 }),
            new("manage", HttpMethod.Post, "/v1/signing-keys", new { id = "sk_" + unique, algorithm = "hmac-sha256", subjects = new[] { "*" } }),
            new("manage", HttpMethod.Post, $"/v1/signing-keys/{missing}/revoke"),
            new("manage", HttpMethod.Put, "/v1/settings/signatures", new { policy = "verify_if_present" }),

            // The OpenMeter-compatible API (/api/v1) and the Lago-compatible one (/lago/api/v1), under the same scopes.
            new("ingest", HttpMethod.Post, "/api/v1/events", new { id = "ce-" + unique, source = "probe", specversion = "1.0", type = "call", subject }),
            new("ingest", HttpMethod.Post, "/lago/api/v1/events", new { @event = new { transaction_id = "l-" + unique, external_subscription_id = "sub_1", code = Meter } }),
            new("ingest", HttpMethod.Post, "/lago/api/v1/events/batch", new { events = new[] { new { transaction_id = "lb-" + unique, external_subscription_id = "sub_1", code = Meter } } }),
            new("read", HttpMethod.Get, "/api/v1/meters"),
            new("read", HttpMethod.Get, "/api/v1/meters/" + Meter),
            new("read", HttpMethod.Get, $"/api/v1/meters/{Meter}/query?windowSize=MINUTE"),
            new("read", HttpMethod.Post, $"/api/v1/meters/{Meter}/query", new { windowSize = "HOUR" }),
            new("read", HttpMethod.Get, "/lago/api/v1/customers/cust_1/current_usage?external_subscription_id=sub_1"),
            new("manage", HttpMethod.Post, "/api/v1/meters", new { slug = "om_" + unique, eventType = "other", aggregation = "COUNT" }),
            new("manage", HttpMethod.Post, "/v1/webhook-endpoints", new { url = "https://203.0.113.10/hooks", events = new[] { "credits.low" } }),
            new("manage", HttpMethod.Get, "/v1/webhook-endpoints"),
            new("manage", HttpMethod.Get, "/v1/webhook-endpoints/" + missing),
            new("manage", HttpMethod.Patch, "/v1/webhook-endpoints/" + missing, new { enabled = false }),
            new("manage", HttpMethod.Delete, "/v1/webhook-endpoints/" + missing),
            new("manage", HttpMethod.Post, $"/v1/webhook-endpoints/{missing}/rotate-secret"),
            new("manage", HttpMethod.Post, $"/v1/webhook-deliveries/{missing}/retry"),
        ];
    }

    [Theory]
    [MemberData(nameof(Scopes))]
    public async Task A_key_reaches_the_endpoints_of_its_scope_and_gets_403_naming_the_scope_elsewhere(string scope)
    {
        (_, _, HttpClient owner) = await app.NewTenantWithKeyAsync();
        using (owner)
        {
            string subject = await owner.SetUpSubscriptionAsync("sub_1", new { code = Meter, event_type = "call", aggregation = "count" });
            (_, string secret, HttpClient key) = await CreateKeyAsync(owner, [scope]);
            using (key)
            {
                var wrong = new List<string>();
                foreach (Probe probe in Probes(subject))
                {
                    (int status, JsonElement body, _) = await key.SendJsonAsync(probe.Method, probe.Path, probe.Body);
                    bool allowed = probe.Scope == scope;
                    if (allowed && status is 401 or 403 or >= 500)
                    {
                        wrong.Add($"{probe} with a {scope} key: {status} {body}");
                    }
                    else if (!allowed && (status != 403 || body.Code() != ApiError.Codes.Forbidden || !body.Str("detail").Contains($"'{probe.Scope}'", StringComparison.Ordinal)
                        || body.Str("required_scope") != probe.Scope))
                    {
                        wrong.Add($"{probe} with a {scope} key: expected 403 FORBIDDEN naming '{probe.Scope}', got {status} {body}");
                    }
                }

                Assert.True(wrong.Count == 0, string.Join("\n", wrong));
                Assert.DoesNotContain(secret, (await owner.GetJsonAsync("/v1/api-keys")).Body.ToString(), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Every_v1_endpoint_declares_the_scope_it_needs_and_has_a_probe_in_the_matrix()
    {
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } path && (path.StartsWith("/v1", StringComparison.Ordinal) || path.StartsWith("/api/v1", StringComparison.Ordinal)
                || path.StartsWith("/lago/api/v1", StringComparison.Ordinal))).ToList();
        // The scope matrix above probes each endpoint once: a new endpoint needs a probe there.
        Assert.Equal(Probes("agent:x").Count, endpoints.Count);
        Assert.All(endpoints, e => Assert.True(e.Metadata.GetMetadata<RequiredScope>() is not null, $"{e.DisplayName} declares no scope"));
    }

    [Fact]
    public async Task A_key_with_several_scopes_holds_each_of_them_and_no_other()
    {
        (_, _, HttpClient owner) = await app.NewTenantWithKeyAsync();
        using (owner)
        {
            string subject = await owner.SetUpSubscriptionAsync("sub_1", new { code = Meter, event_type = "call", aggregation = "count" });
            (_, _, HttpClient key) = await CreateKeyAsync(owner, ["read", "ingest"]);
            using (key)
            {
                Assert.Equal(201, (await key.PostAsync("/v1/events", new { idempotency_key = "k1", subject, event_type = "call" })).Status);
                Assert.Equal(200, (await key.GetJsonAsync("/v1/meters")).Status);
                (int status, JsonElement body, HttpResponseMessage response) = await key.SendJsonAsync(HttpMethod.Post, "/v1/meters",
                    new { code = "other", event_type = "other", aggregation = "count" });
                Assert.Equal(403, status);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
                Assert.Equal("This API key lacks the 'manage' scope this endpoint requires.", body.Str("detail"));
                Assert.Equal(404, (await owner.GetJsonAsync("/v1/meters/other")).Status);
            }
        }
    }

    [Fact]
    public async Task Keys_of_the_admin_api_the_bootstrap_and_before_scopes_hold_every_tenant_scope()
    {
        (string tenant, _, HttpClient owner) = await app.NewTenantWithKeyAsync();
        using (owner)
        {
            JsonElement listed = Assert.Single((await owner.GetJsonAsync("/v1/api-keys")).Body.GetProperty("data").EnumerateArray());
            Assert.Equal(["ingest", "read", "manage"], listed.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));

            // A key as the previous version inserted it, with no scopes column: the migration's default grants all three.
            string old = "mk_" + Guid.NewGuid().ToString("N");
            await using (NpgsqlConnection db = await app.OpenDatabaseAsync())
            await using (var insert = new NpgsqlCommand("INSERT INTO api_keys (key_hash, tenant_id, prefix) VALUES ($1, $2, $3)", db))
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = System.Text.Encoding.ASCII.GetBytes(ApiKeySecrets.Hash(old)) });
                insert.Parameters.Add(new NpgsqlParameter { Value = tenant });
                insert.Parameters.Add(new NpgsqlParameter { Value = old[..6] });
                await insert.ExecuteNonQueryAsync();
            }

            using HttpClient before = app.Client(old);
            string subject = await before.SetUpSubscriptionAsync("sub_1", new { code = Meter, event_type = "call", aggregation = "count" });
            Assert.Equal(201, (await before.PostAsync("/v1/events", new { idempotency_key = "k1", subject, event_type = "call" })).Status);
            Assert.Equal(200, (await before.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=" + Meter)).Status);
            Assert.Equal(2, (await before.GetJsonAsync("/v1/api-keys")).Body.GetProperty("data").GetArrayLength());
        }

        using HttpClient bootstrap = app.Client("bootstrap-key");
        (int status, JsonElement keys) = await bootstrap.GetJsonAsync("/v1/api-keys");
        Assert.Equal(200, status);
        Assert.Contains(keys.GetProperty("data").EnumerateArray(), k => k.GetProperty("scopes").GetArrayLength() == 3);
    }

    [Fact]
    public async Task A_new_key_is_shown_once_and_listed_without_its_secret()
    {
        (_, _, HttpClient owner) = await app.NewTenantWithKeyAsync();
        using (owner)
        {
            DateTimeOffset expires = app.AccessClock.GetUtcNow().AddDays(30);
            (int status, JsonElement created) = await owner.PostAsync("/v1/api-keys",
                new { scopes = new[] { "manage", "ingest" }, expires_at = Wire.Time(expires), description = "billing exporter" });
            Assert.Equal(201, status);
            string secret = created.Str("key");
            Assert.StartsWith("mk_", secret, StringComparison.Ordinal);
            Assert.Equal(secret[..11], created.Str("prefix"));
            Assert.Equal(["ingest", "manage"], created.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
            Assert.Equal(Wire.Time(expires), created.Str("expires_at"));
            Assert.Equal(Wire.Time(app.AccessClock.GetUtcNow()), created.Str("created_at"));
            Assert.Equal("billing exporter", created.Str("description"));

            JsonElement list = (await owner.GetJsonAsync("/v1/api-keys")).Body;
            Assert.DoesNotContain(secret, list.ToString(), StringComparison.Ordinal);
            JsonElement listed = Assert.Single(list.GetProperty("data").EnumerateArray(), k => k.Str("id") == created.Str("id"));
            Assert.Equal(
                ["id", "prefix", "scopes", "description", "created_at", "expires_at", "last_used_at", "revoked_at"],
                listed.EnumerateObject().Select(p => p.Name));
            Assert.Equal(created.Str("prefix"), listed.Str("prefix"));
            Assert.Equal("billing exporter", listed.Str("description"));
            Assert.Equal(JsonValueKind.Null, listed.GetProperty("last_used_at").ValueKind);
            Assert.Equal(JsonValueKind.Null, listed.GetProperty("revoked_at").ValueKind);

            await using NpgsqlConnection db = await app.OpenDatabaseAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM api_keys WHERE position($1 in encode(key_hash, 'escape')) > 0 OR prefix = $1", db);
            command.Parameters.Add(new NpgsqlParameter { Value = secret });
            Assert.Equal(0L, await command.ExecuteScalarAsync());
        }
    }

    [Theory]
    [InlineData("""{"scopes":["admin"]}""", "scopes")]
    [InlineData("""{"scopes":[]}""", "scopes")]
    [InlineData("""{"scopes":"read"}""", "scopes")]
    [InlineData("""{}""", "scopes")]
    [InlineData("""{"scopes":["read"],"expires_at":"2001-01-01T00:00:00Z"}""", "expires_at")]
    [InlineData("""{"scopes":["read"],"expires_at":"tomorrow"}""", "expires_at")]
    public async Task A_key_request_outside_the_rules_is_400_naming_the_field(string json, string field)
    {
        using HttpClient owner = await app.NewTenantAsync();
        (int status, JsonElement body) = await owner.PostRawAsync("/v1/api-keys", json);
        Assert.Equal(400, status);
        Assert.Equal("INVALID_REQUEST", body.Code());
        Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), body.ToString());
    }

    [Fact]
    public async Task An_expired_key_is_refused_with_401()
    {
        (_, _, HttpClient owner) = await app.NewTenantWithKeyAsync();
        using (owner)
        {
            (_, _, HttpClient key) = await CreateKeyAsync(owner, ["read"], expiresAt: app.AccessClock.GetUtcNow().AddMinutes(1));
            using (key)
            {
                Assert.Equal(200, (await key.GetJsonAsync("/v1/meters")).Status);

                app.AccessClock.Advance(TimeSpan.FromMinutes(1));
                (int status, JsonElement body) = await key.GetJsonAsync("/v1/meters");
                Assert.Equal(401, status);
                Assert.Equal("UNAUTHENTICATED", body.Code());
                Assert.Equal("This API key has expired.", body.Str("detail"));
                Assert.Equal(200, (await owner.GetJsonAsync("/v1/meters")).Status);
            }
        }
    }

    [Fact]
    public async Task Rotation_the_new_key_works_before_the_old_is_revoked_and_after()
    {
        (_, _, HttpClient owner) = await app.NewTenantWithKeyAsync();
        using (owner)
        {
            string subject = await owner.SetUpSubscriptionAsync("sub_1", new { code = Meter, event_type = "call", aggregation = "count" });
            (string oldId, _, HttpClient oldKey) = await CreateKeyAsync(owner, ["ingest"]);
            (_, _, HttpClient newKey) = await CreateKeyAsync(owner, ["ingest"]);
            using (oldKey)
            using (newKey)
            {
                Assert.Equal(201, (await oldKey.PostAsync("/v1/events", new { idempotency_key = "k1", subject, event_type = "call" })).Status);
                Assert.Equal(201, (await newKey.PostAsync("/v1/events", new { idempotency_key = "k2", subject, event_type = "call" })).Status);

                (int revoked, JsonElement revokedKey, _) = await owner.SendJsonAsync(HttpMethod.Delete, "/v1/api-keys/" + oldId);
                Assert.Equal(200, revoked);
                Assert.Equal(Wire.Time(app.AccessClock.GetUtcNow()), revokedKey.Str("revoked_at"));

                (int status, JsonElement body) = await oldKey.PostAsync("/v1/events", new { idempotency_key = "k3", subject, event_type = "call" });
                Assert.Equal(401, status);
                Assert.Equal("UNAUTHENTICATED", body.Code());
                Assert.Equal("This API key was revoked.", body.Str("detail"));
                Assert.Equal(201, (await newKey.PostAsync("/v1/events", new { idempotency_key = "k3", subject, event_type = "call" })).Status);

                (_, JsonElement usage) = await owner.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=" + Meter);
                Assert.Equal(3, usage.GetProperty("events").GetInt32());
            }
        }
    }

    [Fact]
    public async Task Revoking_twice_keeps_the_first_revoke_and_another_tenants_key_is_not_found()
    {
        (_, _, HttpClient owner) = await app.NewTenantWithKeyAsync();
        using HttpClient other = await app.NewTenantAsync();
        using (owner)
        {
            (string id, _, HttpClient key) = await CreateKeyAsync(owner, ["read"]);
            key.Dispose();

            (int otherStatus, JsonElement otherBody, _) = await other.SendJsonAsync(HttpMethod.Delete, "/v1/api-keys/" + id);
            Assert.Equal(404, otherStatus);
            Assert.Equal("NOT_FOUND", otherBody.Code());
            Assert.Equal(404, (await owner.SendJsonAsync(HttpMethod.Delete, "/v1/api-keys/not-a-key-id")).Status);

            (_, JsonElement first, _) = await owner.SendJsonAsync(HttpMethod.Delete, "/v1/api-keys/" + id);
            app.AccessClock.Advance(TimeSpan.FromSeconds(1));
            (int again, JsonElement second, _) = await owner.SendJsonAsync(HttpMethod.Delete, "/v1/api-keys/" + id);
            Assert.Equal(200, again);
            Assert.Equal(first.Str("revoked_at"), second.Str("revoked_at"));

            JsonElement listed = Assert.Single((await owner.GetJsonAsync("/v1/api-keys")).Body.GetProperty("data").EnumerateArray(), k => k.Str("id") == id);
            Assert.Equal(first.Str("revoked_at"), listed.Str("revoked_at"));
            Assert.Single((await owner.GetJsonAsync("/v1/audit-events?action=api_key.revoked")).Body.GetProperty("data").EnumerateArray());
        }
    }

    [Fact]
    public async Task Made_and_revoked_keys_are_audited_with_prefix_and_scopes_never_the_secret()
    {
        (string tenant, string ownerSecret, HttpClient owner) = await app.NewTenantWithKeyAsync();
        using (owner)
        {
            (string id, string secret, HttpClient key) = await CreateKeyAsync(owner, ["ingest", "read"], description: "ci");
            key.Dispose();
            Assert.Equal(200, (await owner.SendJsonAsync(HttpMethod.Delete, "/v1/api-keys/" + id)).Status);

            JsonElement[] created = (await owner.GetJsonAsync("/v1/audit-events?action=api_key.created")).Body.GetProperty("data").EnumerateArray().ToArray();
            Assert.Equal(2, created.Length);
            JsonElement byAdmin = created[1];
            Assert.Equal("admin", byAdmin.Str("actor"));
            Assert.Equal(ownerSecret[..11], byAdmin.GetProperty("details").Str("key_prefix"));
            Assert.Equal(3, byAdmin.GetProperty("details").GetProperty("scopes").GetArrayLength());

            JsonElement made = created[0];
            Assert.Equal("api_key:" + ownerSecret[..11], made.Str("actor"));
            Assert.Equal(id, made.Str("subject"));
            JsonElement details = made.GetProperty("details");
            Assert.Equal(id, details.Str("key_id"));
            Assert.Equal(secret[..11], details.Str("key_prefix"));
            Assert.Equal(["ingest", "read"], details.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
            Assert.Equal("ci", details.Str("description"));

            JsonElement revoked = Assert.Single((await owner.GetJsonAsync("/v1/audit-events?action=api_key.revoked")).Body.GetProperty("data").EnumerateArray());
            Assert.Equal(id, revoked.Str("subject"));
            Assert.Equal(secret[..11], revoked.GetProperty("details").Str("key_prefix"));

            await using NpgsqlConnection db = await app.OpenDatabaseAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND (position($2 in details::text) > 0 OR position($3 in details::text) > 0)", db);
            command.Parameters.Add(new NpgsqlParameter { Value = tenant });
            command.Parameters.Add(new NpgsqlParameter { Value = secret });
            command.Parameters.Add(new NpgsqlParameter { Value = ownerSecret });
            Assert.Equal(0L, await command.ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task Last_use_is_written_off_the_request_path_by_the_usage_writer()
    {
        (_, _, HttpClient owner) = await app.NewTenantWithKeyAsync();
        using (owner)
        {
            (string id, _, HttpClient key) = await CreateKeyAsync(owner, ["read"]);
            using (key)
            {
                DateTimeOffset usedAt = app.AccessClock.GetUtcNow();
                for (int i = 0; i < 5; i++)
                {
                    Assert.Equal(200, (await key.GetJsonAsync("/v1/meters")).Status);
                }

                Assert.Equal(JsonValueKind.Null, (await ListedAsync(owner, id)).GetProperty("last_used_at").ValueKind);

                await app.Services.GetRequiredService<ApiKeyUsageWriter>().FlushAsync();
                Assert.Equal(Wire.Time(usedAt), (await ListedAsync(owner, id)).Str("last_used_at"));
            }
        }
    }

    [Fact]
    public async Task A_revoke_on_one_silo_reaches_another_silos_cache_within_its_max_age()
    {
        (_, _, HttpClient owner) = await app.NewTenantWithKeyAsync();
        using (owner)
        {
            (string id, string secret, HttpClient key) = await CreateKeyAsync(owner, ["read"]);
            key.Dispose();

            // Another silo: its own cache and clock over the same database.
            var clock = new ManualClock(app.AccessClock.GetUtcNow());
            var options = new ApiKeyOptions();
            var otherSilo = new ApiKeyAuthenticator(new ApiKeyStore(app.Services.GetRequiredService<NpgsqlDataSource>(), clock), options, clock,
                NullLogger<ApiKeyAuthenticator>.Instance);
            Assert.Equal(ApiKeyStatus.Active, (await otherSilo.AuthenticateAsync(secret)).Status);

            Assert.Equal(200, (await owner.SendJsonAsync(HttpMethod.Delete, "/v1/api-keys/" + id)).Status);
            using HttpClient revoked = app.Client(secret);
            Assert.Equal(401, (await revoked.GetJsonAsync("/v1/meters")).Status);

            // The other silo still answers from what it read; past the max age it reads the key again and refuses it.
            Assert.Equal(ApiKeyStatus.Active, (await otherSilo.AuthenticateAsync(secret)).Status);
            clock.Advance(options.CacheMaxAge);
            Assert.Equal(ApiKeyStatus.Revoked, (await otherSilo.AuthenticateAsync(secret)).Status);
        }
    }

    private async Task<JsonElement> ListedAsync(HttpClient owner, string id)
        => Assert.Single((await owner.GetJsonAsync("/v1/api-keys")).Body.GetProperty("data").EnumerateArray(), k => k.Str("id") == id);

    private async Task<(string Id, string Secret, HttpClient Client)> CreateKeyAsync(HttpClient owner, string[] scopes, DateTimeOffset? expiresAt = null, string? description = null)
    {
        (int status, JsonElement body) = await owner.PostAsync("/v1/api-keys", new { scopes, expires_at = Wire.Time(expiresAt), description });
        Assert.True(status == 201, body.ToString());
        return (body.Str("id"), body.Str("key"), app.Client(body.Str("key")));
    }
}
