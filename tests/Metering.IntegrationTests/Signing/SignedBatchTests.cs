using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
using Npgsql;

namespace Metering.IntegrationTests.Signing;

/// <summary>A batch signed as a whole: one signature over the exact bytes of its <c>events</c> array vouches for all of them.</summary>
[Collection(AppCollection.Name)]
public sealed class SignedBatchTests(AppFixture fixture)
{
    private static string Stamp => DateTimeOffset.UtcNow.AddSeconds(-1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");

    private static string Event(string key, string subject, int tokens, string? timestamp = null, string extra = "")
        => $$"""{ "idempotency_key": "{{key}}", "subject": "{{subject}}", "event_type": "tokens", "timestamp": "{{timestamp ?? Stamp}}", "properties": {"tokens": {{tokens}}, "model": "m\u00e9"}{{extra}} }""";

    private static int[] Statuses(JsonElement answer) => [.. answer.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetInt32())];

    [Fact]
    public async Task An_es256_signed_batch_meets_the_required_policy_is_stored_once_and_cannot_be_altered_or_replayed()
    {
        (string tenant, _, HttpClient client) = await fixture.NewTenantWithKeyAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", ClusterScenario.TokensMeter);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(201, (await client.PostAsync("/v1/signing-keys", new { id = "bulk", algorithm = "es256", public_key = ecdsa.ExportSubjectPublicKeyInfoPem(), subjects = new[] { subject } })).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("/v1/settings/signatures", new { policy = "required" })).StatusCode);
        var signer = EventSigner.Es256(tenant, "bulk", ecdsa);
        string events = $"[\n  {Event("b1", subject, 3)},\n  {Event("b2", subject, 4)},\n  {Event("b3", subject, 5)}\n]";

        (int status, JsonElement stored) = await client.PostRawAsync("/v1/events/batch", signer.Batch(events, "n1"));
        Assert.True(status == 207, stored.ToString());
        Assert.Equal([201, 201, 201], Statuses(stored));
        Assert.Equal("""{"signature": {"batch": true, "nonce": "n1", "key_id": "bulk", "algorithm": "es256"}, "delegation_chain": null}""", await MetaAsync(tenant, "b2"));

        // The same batch sent again is a retry: the nonce is this batch's, and each event answers as a duplicate.
        (_, JsonElement again) = await client.PostRawAsync("/v1/events/batch", signer.Batch(events, "n1"));
        Assert.Equal([409, 409, 409], Statuses(again));

        (int altered, JsonElement invalid) = await client.PostRawAsync("/v1/events/batch", signer.Batch(events, "n2", sent: events.Replace("\"tokens\": 5", "\"tokens\": 500")));
        Assert.Equal((401, "SIGNATURE_INVALID"), (altered, invalid.Code()));
        (int replayed, JsonElement reused) = await client.PostRawAsync("/v1/events/batch", signer.Batch($"[{Event("b4", subject, 6)}]", "n1"));
        Assert.Equal((409, "NONCE_REUSED"), (replayed, reused.Code()));
        (_, JsonElement unsigned) = await client.PostRawAsync("/v1/events/batch", $"{{\"events\": [{Event("b5", subject, 7)}]}}");
        Assert.Equal("SIGNATURE_REQUIRED", unsigned.GetProperty("results")[0].Str("code"));

        Assert.Equal(12m, await ClusterScenario.UsageAsync(client, "sub_1"));
    }

    [Fact]
    public async Task A_signed_batch_is_refused_whole_for_a_subject_its_key_may_not_sign_and_its_events_carry_no_signature_of_their_own()
    {
        (string tenant, _, HttpClient client) = await fixture.NewTenantWithKeyAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", ClusterScenario.TokensMeter);
        string other = await client.SetUpSubscriptionAsync("sub_2");
        byte[] secret = Encoding.UTF8.GetBytes("a-shared-secret-of-at-least-32-bytes!!");
        Assert.Equal(201, (await client.PostAsync("/v1/signing-keys", new { id = "h", algorithm = "hmac-sha256", secret = Encoding.UTF8.GetString(secret), subjects = new[] { subject } })).Status);
        var signer = EventSigner.Hmac(tenant, "h", secret);

        (int mismatch, JsonElement problem) = await client.PostRawAsync("/v1/events/batch", signer.Batch($"[{Event("x1", subject, 1)}, {Event("x2", other, 1)}]", "n1"));
        Assert.Equal((403, "SIGNATURE_SUBJECT_MISMATCH"), (mismatch, problem.Code()));
        Assert.Contains(other, problem.Str("detail"));

        string ownSignature = ", \"signature\": {\"key_id\": \"h\", \"algorithm\": \"hmac-sha256\", \"value\": \"AA\", \"nonce\": \"z\"}";
        string events = $"[{Event("y1", subject, 2)}, {Event("y2", subject, 2, extra: ownSignature)}, " +
            "{\"idempotency_key\": \"y3\", \"subject\": \"" + subject + "\", \"event_type\": \"tokens\", \"properties\": {\"tokens\": 2}}]";
        (int status, JsonElement answer) = await client.PostRawAsync("/v1/events/batch", signer.Batch(events, "n2"));
        Assert.True(status == 207, answer.ToString());
        Assert.Equal([201, 400, 400], Statuses(answer));
        Assert.True(answer.GetProperty("results")[1].GetProperty("detail").GetString()!.Contains("no signature of its own", StringComparison.Ordinal));
        Assert.True(answer.GetProperty("results")[2].GetProperty("detail").GetString()!.Contains("'timestamp'", StringComparison.Ordinal));

        (int bad, JsonElement malformed) = await client.PostRawAsync("/v1/events/batch", $"{{\"events\": [{Event("y4", subject, 2)}], \"signature\": {{\"key_id\": \"h\"}}}}");
        Assert.Equal((400, "INVALID_REQUEST"), (bad, malformed.Code()));
        Assert.Equal(2m, await ClusterScenario.UsageAsync(client, "sub_1"));
        Assert.Equal(0m, await ClusterScenario.UsageAsync(client, "sub_2"));
    }

    private async Task<string?> MetaAsync(string tenant, string key)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT meta::text FROM events WHERE tenant_id = $1 AND idempotency_key = $2", connection)
        {
            Parameters = { new() { Value = tenant }, new() { Value = key } },
        };
        return (string?)await command.ExecuteScalarAsync();
    }
}
