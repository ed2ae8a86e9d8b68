using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Metering.IntegrationTests.Signing;

/// <summary>Signed events over real HTTP and PostgreSQL: keys, algorithms, the tenant's policy, subjects, replays.</summary>
[Collection(AppCollection.Name)]
public sealed class SignedEventsTests(AppFixture fixture, ITestOutputHelper output)
{
    private static readonly byte[] s_secret = Encoding.UTF8.GetBytes("a-shared-secret-of-at-least-32-bytes!!");

    private async Task<(string Tenant, HttpClient Client, string Subject)> TenantAsync()
    {
        (string tenant, _, HttpClient client) = await fixture.NewTenantWithKeyAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", ClusterScenario.TokensMeter);
        return (tenant, client, subject);
    }

    private static object Tokens(int n) => new { tokens = n, model = "m\u00e9-\"1\"" };

    [Fact]
    public async Task An_hmac_signed_event_is_stored_once_and_a_forged_replayed_or_unsigned_one_is_not()
    {
        (string tenant, HttpClient client, string subject) = await TenantAsync();
        (int created, JsonElement key) = await client.PostAsync("/v1/signing-keys", new { id = "k1", algorithm = "hmac-sha256", secret = Encoding.UTF8.GetString(s_secret), subjects = new[] { subject } });
        Assert.True(created == 201, key.ToString());
        Assert.False(key.TryGetProperty("secret", out _)); // a secret the caller chose is never echoed
        var signer = EventSigner.Hmac(tenant, "k1", s_secret);

        Dictionary<string, object?> good = signer.Event("e1", subject, "tokens", Tokens(5), nonce: "n1");
        Assert.Equal(201, (await client.PostAsync("/v1/events", good)).Status);
        (int again, JsonElement duplicate) = await client.PostAsync("/v1/events", good);
        Assert.Equal((409, "DUPLICATE_EVENT"), (again, duplicate.Code()));

        (int forged, JsonElement invalid) = await client.PostAsync("/v1/events", signer.Event("e2", subject, "tokens", Tokens(5), tamper: e => e["properties"] = new { tokens = 500, model = "m" }));
        Assert.Equal((401, "SIGNATURE_INVALID"), (forged, invalid.Code()));
        (int moved, JsonElement other) = await client.PostAsync("/v1/events", signer.Event("e2b", subject, "tokens", Tokens(1), tamper: e => e["idempotency_key"] = "e2c"));
        Assert.Equal((401, "SIGNATURE_INVALID"), (moved, other.Code()));

        (int replayed, JsonElement reused) = await client.PostAsync("/v1/events", signer.Event("e3", subject, "tokens", Tokens(7), nonce: "n1"));
        Assert.Equal((409, "NONCE_REUSED"), (replayed, reused.Code()));

        Assert.Equal(201, (await client.PostAsync("/v1/events", new { idempotency_key = "e4", subject, event_type = "tokens", properties = new { tokens = 2 } })).Status);
        Assert.Equal(7m, await ClusterScenario.UsageAsync(client, "sub_1"));
    }

    [Theory]
    [InlineData("pem-p1363")]
    [InlineData("pem-der")]
    [InlineData("jwk")]
    public async Task An_es256_key_given_as_pem_or_jwk_verifies_raw_and_der_signatures(string form)
    {
        (string tenant, HttpClient client, string subject) = await TenantAsync();
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = ecdsa.ExportParameters(false);
        object publicKey = form == "jwk"
            ? new { kty = "EC", crv = "P-256", x = System.Buffers.Text.Base64Url.EncodeToString(p.Q.X), y = System.Buffers.Text.Base64Url.EncodeToString(p.Q.Y) }
            : ecdsa.ExportSubjectPublicKeyInfoPem();
        (int created, JsonElement key) = await client.PostAsync("/v1/signing-keys", new { id = "agent-key", algorithm = "es256", public_key = publicKey, subjects = new[] { subject } });
        Assert.True(created == 201, key.ToString());
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", key.Str("public_key"));

        var signer = EventSigner.Es256(tenant, "agent-key", ecdsa, form == "pem-der" ? DSASignatureFormat.Rfc3279DerSequence : DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        Assert.Equal(201, (await client.PostAsync("/v1/events", signer.Event("e1", subject, "tokens", Tokens(3)))).Status);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        (int forged, JsonElement invalid) = await client.PostAsync("/v1/events", EventSigner.Es256(tenant, "agent-key", other).Event("e2", subject, "tokens", Tokens(3)));
        Assert.Equal((401, "SIGNATURE_INVALID"), (forged, invalid.Code()));
        Assert.Equal(3m, await ClusterScenario.UsageAsync(client, "sub_1"));
    }

    [Fact]
    public async Task A_key_signs_only_for_its_subjects_and_not_at_all_once_revoked()
    {
        (string tenant, HttpClient client, string subject) = await TenantAsync();
        string other = await client.SetUpSubscriptionAsync("sub_2");
        await client.PostAsync("/v1/signing-keys", new { id = "k1", algorithm = "hmac-sha256", secret = Encoding.UTF8.GetString(s_secret), subjects = new[] { subject } });
        var signer = EventSigner.Hmac(tenant, "k1", s_secret);
        (int mismatch, JsonElement problem) = await client.PostAsync("/v1/events", signer.Event("e1", other, "tokens", Tokens(1)));
        Assert.Equal((403, "SIGNATURE_SUBJECT_MISMATCH"), (mismatch, problem.Code()));

        (int revoked, JsonElement key) = await client.PostAsync("/v1/signing-keys/k1/revoke", new { });
        Assert.True(revoked == 200 && key.TryGetProperty("revoked_at", out JsonElement at) && at.ValueKind == JsonValueKind.String, key.ToString());
        (int refused, JsonElement after) = await client.PostAsync("/v1/events", signer.Event("e2", subject, "tokens", Tokens(1)));
        Assert.Equal((401, "SIGNATURE_INVALID"), (refused, after.Code()));
        Assert.Contains("revoked", after.Str("detail"));
        Assert.Equal(404, (await client.PostAsync("/v1/signing-keys/nope/revoke", new { })).Status);
        Assert.Equal(0m, await ClusterScenario.UsageAsync(client, "sub_1"));
    }

    [Fact]
    public async Task The_policy_decides_between_required_verify_if_present_and_off()
    {
        (string tenant, HttpClient client, string subject) = await TenantAsync();
        await client.PostAsync("/v1/signing-keys", new { id = "k1", algorithm = "hmac-sha256", secret = Encoding.UTF8.GetString(s_secret), subjects = new[] { "*" } });
        var signer = EventSigner.Hmac(tenant, "k1", s_secret);
        var wrong = EventSigner.Hmac(tenant, "k1", Encoding.UTF8.GetBytes("not-the-secret-not-the-secret-not-the-secret"));
        Assert.Equal("verify_if_present", (await client.GetJsonAsync("/v1/settings/signatures")).Body.Str("policy"));

        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("/v1/settings/signatures", new { policy = "required" })).StatusCode);
        (int unsigned, JsonElement required) = await client.PostAsync("/v1/events", new { idempotency_key = "u1", subject, event_type = "tokens", properties = new { tokens = 1 } });
        Assert.Equal((401, "SIGNATURE_REQUIRED"), (unsigned, required.Code()));
        Assert.Equal(201, (await client.PostAsync("/v1/events", signer.Event("s1", subject, "tokens", Tokens(2)))).Status);

        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("/v1/settings/signatures", new { policy = "off" })).StatusCode);
        Assert.Equal(201, (await client.PostAsync("/v1/events", wrong.Event("s2", subject, "tokens", Tokens(4)))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PutAsJsonAsync("/v1/settings/signatures", new { policy = "sometimes" })).StatusCode);
        Assert.Equal(6m, await ClusterScenario.UsageAsync(client, "sub_1"));
    }

    [Fact]
    public async Task A_batch_judges_each_signed_event_and_a_nonce_belongs_to_the_first_event_that_carries_it()
    {
        (string tenant, HttpClient client, string subject) = await TenantAsync();
        await client.PostAsync("/v1/signing-keys", new { id = "k1", algorithm = "hmac-sha256", secret = Encoding.UTF8.GetString(s_secret), subjects = new[] { subject } });
        await client.PostAsync("/v1/signing-keys", new { id = "k2", algorithm = "hmac-sha256", secret = Encoding.UTF8.GetString(s_secret), subjects = new[] { subject } });
        var k1 = EventSigner.Hmac(tenant, "k1", s_secret);
        var k2 = EventSigner.Hmac(tenant, "k2", s_secret);
        object[] events =
        [
            k1.Event("b1", subject, "tokens", Tokens(1), nonce: "same"),
            k1.Event("b2", subject, "tokens", Tokens(2), nonce: "same"),
            k2.Event("b3", subject, "tokens", Tokens(4), nonce: "same"), // a nonce is per key
            k1.Event("b4", subject, "tokens", Tokens(8), tamper: e => e["timestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ")),
            new { idempotency_key = "b5", subject, event_type = "tokens", properties = new { tokens = 16 }, signature = new { key_id = "k1", algorithm = "hmac-sha256", value = "%%", nonce = "x" } },
        ];
        (int status, JsonElement body) = await client.PostAsync("/v1/events/batch", new { events });
        Assert.Equal(207, status);
        Assert.Equal(["201", "409:NONCE_REUSED", "201", "401:SIGNATURE_INVALID", "400:INVALID_REQUEST"],
            body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetInt32() == 201 ? "201" : $"{r.GetProperty("status").GetInt32()}:{r.Str("code")}"));
        Assert.Equal(5m, await ClusterScenario.UsageAsync(client, "sub_1"));
    }

    [Fact]
    public async Task A_large_batch_is_verified_event_by_event_whichever_core_checks_it()
    {
        (string tenant, HttpClient client, string subject) = await TenantAsync();
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await client.PostAsync("/v1/signing-keys", new { id = "agent-key", algorithm = "es256", public_key = ecdsa.ExportSubjectPublicKeyInfoPem(), subjects = new[] { subject } });
        var signer = EventSigner.Es256(tenant, "agent-key", ecdsa);
        object[] events = [.. Enumerable.Range(0, 200).Select(i => signer.Event($"l{i}", subject, "tokens", Tokens(1),
            tamper: i % 7 == 3 ? e => e["properties"] = new { tokens = 1000, model = "x" } : null))];
        (int status, JsonElement body) = await client.PostAsync("/v1/events/batch", new { events });
        Assert.Equal(207, status);
        int[] statuses = [.. body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetInt32())];
        Assert.Equal(Enumerable.Range(0, 200).Select(i => i % 7 == 3 ? 401 : 201), statuses);
        Assert.Equal(200 - 29, await ClusterScenario.UsageAsync(client, "sub_1"));
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("ml-dsa-65")]
    public async Task An_algorithm_this_platform_cannot_verify_is_refused_when_the_key_is_registered(string algorithm)
    {
        (string tenant, HttpClient client, string subject) = await TenantAsync();
        if (algorithm == "ml-dsa-65" && MLDsa.IsSupported)
        {
            output.WriteLine("ML-DSA is supported on this platform: a signed event is verified instead.");
#pragma warning disable SYSLIB5006 // the platform's ML-DSA, marked for evaluation in .NET 10
            using MLDsa key = MLDsa.GenerateKey(MLDsaAlgorithm.MLDsa65);
            Assert.Equal(201, (await client.PostAsync("/v1/signing-keys", new { id = "pq", algorithm, public_key = key.ExportSubjectPublicKeyInfoPem(), subjects = new[] { subject } })).Status);
            var signer = new EventSigner(tenant, "pq", algorithm, input => key.SignData(input));
#pragma warning restore SYSLIB5006
            Assert.Equal(201, (await client.PostAsync("/v1/events", signer.Event("pq1", subject, "tokens", Tokens(1)))).Status);
            return;
        }

        output.WriteLine($"{algorithm} is not supported here ({(algorithm == "ed25519" ? ".NET has no Ed25519" : "MLDsa.IsSupported is false: this platform's OpenSSL has no ML-DSA")}); signing with it is not tested, its refusal is.");
        (int status, JsonElement problem) = await client.PostAsync("/v1/signing-keys", new { id = "pq", algorithm, public_key = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", subjects = new[] { subject } });
        Assert.Equal((422, "SIGNATURE_ALGORITHM_UNSUPPORTED"), (status, problem.Code()));
        Assert.Contains(algorithm, problem.Str("detail"));
    }

    [Fact]
    public async Task Keys_are_listed_without_secrets_and_their_changes_and_rejected_signatures_are_audited_sparingly()
    {
        (string tenant, HttpClient client, string subject) = await TenantAsync();
        (int created, JsonElement generated) = await client.PostAsync("/v1/signing-keys", new { id = "gen", algorithm = "hmac-sha256", subjects = new[] { subject } });
        Assert.Equal(201, created);
        byte[] secret = System.Buffers.Text.Base64Url.DecodeFromChars(generated.Str("secret"));
        Assert.Equal(32, secret.Length);
        Assert.Equal(201, (await client.PostAsync("/v1/events", EventSigner.Hmac(tenant, "gen", secret).Event("g1", subject, "tokens", Tokens(1)))).Status);

        JsonElement listed = (await client.GetJsonAsync("/v1/signing-keys")).Body.GetProperty("data");
        JsonElement only = Assert.Single(listed.EnumerateArray());
        Assert.Equal(("gen", "hmac-sha256"), (only.Str("id"), only.Str("algorithm")));
        Assert.False(only.TryGetProperty("secret", out _));
        Assert.Equal(409, (await client.PostAsync("/v1/signing-keys", new { id = "gen", algorithm = "hmac-sha256", subjects = new[] { subject } })).Status);
        Assert.Equal(400, (await client.PostAsync("/v1/signing-keys", new { id = "short", algorithm = "hmac-sha256", secret = "too-short", subjects = new[] { subject } })).Status);
        Assert.Equal(400, (await client.PostAsync("/v1/signing-keys", new { id = "bad-pem", algorithm = "es256", public_key = "not a key", subjects = new[] { subject } })).Status);
        Assert.Equal(404, (await client.GetJsonAsync("/v1/signing-keys/none")).Status);

        var forger = EventSigner.Hmac(tenant, "gen", Encoding.UTF8.GetBytes("guessing-guessing-guessing-guessing"));
        for (int i = 0; i < 25; i++)
        {
            Assert.Equal(401, (await client.PostAsync("/v1/events", forger.Event($"f{i}", subject, "tokens", Tokens(1)))).Status);
        }

        await client.PostAsync("/v1/signing-keys/gen/revoke", new { });
        string[] actions = await AuditActionsAsync(client, expected: 3);
        Assert.Equal(1, actions.Count(a => a == "signature.rejected"));
        Assert.Contains("signing_key.created", actions);
        Assert.Contains("signing_key.revoked", actions);
        Assert.Equal(1m, await ClusterScenario.UsageAsync(client, "sub_1"));
    }

    private static async Task<string[]> AuditActionsAsync(HttpClient client, int expected)
    {
        for (int attempt = 0; ; attempt++)
        {
            JsonElement audit = (await client.GetJsonAsync("/v1/audit-events")).Body;
            string[] actions = [.. audit.GetProperty("data").EnumerateArray().Select(e => e.Str("action")).Where(a => a.StartsWith("sign", StringComparison.Ordinal))];
            if (actions.Length >= expected || attempt == 50)
            {
                return actions;
            }

            await Task.Delay(100); // the audit log is written shortly after, in the background
        }
    }
}
