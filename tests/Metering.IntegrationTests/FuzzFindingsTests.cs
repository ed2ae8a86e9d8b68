using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
using Npgsql;

namespace Metering.IntegrationTests;

/// <summary>What <see cref="FuzzTests"/> found answered 500 (or worse), each pinned by the answer it gets now, next to what
/// must stay accepted: text PostgreSQL cannot hold is refused naming its field; everything else that was stored still is.</summary>
[Collection(AppCollection.Name)]
public sealed class FuzzFindingsTests(AppFixture app)
{
    private const string LargestDecimal = "79228162514264337593543950335";

    private static async Task<(int Status, JsonElement Body)> SendAsync(HttpClient client, string method, string path, byte[]? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using HttpResponseMessage response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    /// <summary>Bodies as sent: <c>\u0000</c> and <c>\ud800</c> are JSON escapes, not characters.</summary>
    public static TheoryData<string, string, string, string> Unstorable => new()
    {
        { "POST", "/v1/events", """{"idempotency_key":"k","subject":"a\u0000b","event_type":"e"}""", "subject" },
        { "POST", "/v1/events", """{"idempotency_key":"k\ud800","subject":"s","event_type":"e"}""", "idempotency_key" },
        { "POST", "/v1/events", """{"idempotency_key":"k","subject":"s","event_type":"e","properties":{"usage":{"model":"x\udc00"}}}""", "properties.usage.model" },
        { "POST", "/v1/events", """{"idempotency_key":"k","subject":"s","event_type":"e","properties":{"list":[1,"\u0000"]}}""", "properties.list[1]" },
        { "POST", "/v1/events", """{"idempotency_key":"k","subject":"s","event_type":"e","properties":{"a\u0000":1}}""", "properties" },
        { "POST", "/v1/events", """{"idempotency_key":"k","subject":"s","event_type":"e","properties":{"n":1e131072}}""", "properties.n" },
        { "POST", "/v1/events", """{"idempotency_key":"k","subject":"s","event_type":"e","properties":{"n":1e-16384}}""", "properties.n" },
        { "POST", "/v1/events", """{"idempotency_key":"k","subject":"s","event_type":"e","delegation_chain":["human:a","\ud800"]}""", "delegation_chain[1]" },
        { "POST", "/v1/events", """{"idempotency_key":"k","subject":"s","event_type":"e","signature":"\u0000"}""", "signature" },
        { "POST", "/v1/events", """{"idempotency_key":"k","subject":"s","event_type":"e","timestamp":"\ud800"}""", "timestamp" },
        { "POST", "/v1/customers", """{"id":"c","name":"\u0000","currency":"USD"}""", "name" },
        { "POST", "/v1/subscriptions", """{"id":"s","customer_id":"c","plan":"p","subjects":["ok","a\ud800"]}""", "subjects[1]" },
        { "POST", "/v1/quotas/consume", """{"subject":"\u0000","meter":"m"}""", "subject" },
        { "POST", "/v1/quotas/consume", """{"subject":"s","meter":"m","amount":"\ud800"}""", "amount" },
        { "POST", "/v1/plans/p/prices", """{"meter":"m","model":"flat","properties":{"amount":"1","note":"\u0000"},"effective_from":"2026-01-01T00:00:00Z"}""", "properties.note" },
        { "POST", "/v1/plans/p/prices", """{"meter":"m","model":"flat","properties":{"amount":"1","n":1e131072},"effective_from":"2026-01-01T00:00:00Z"}""", "properties.n" },
        { "POST", "/v1/invoices", """{"subscription_id":"\u0000"}""", "subscription_id" },
        { "POST", "/v1/rerating-jobs", """{"customer_ids":["\u0000"],"from":"2026-01-01T00:00:00Z","to":"2026-02-01T00:00:00Z"}""", "customer_ids[0]" },
        { "GET", "/v1/quotas/check?subject=a%00b&meter=m", "", "subject" },
        { "GET", "/v1/invoices?subscription_id=%00", "", "subscription_id" },
    };

    [Theory]
    [MemberData(nameof(Unstorable))]
    public async Task Text_PostgreSQL_cannot_hold_is_refused_as_invalid_naming_the_field(string method, string path, string json, string field)
    {
        using HttpClient client = await app.NewTenantAsync();
        (int status, JsonElement body) = await SendAsync(client, method, path, json.Length == 0 ? null : Utf8(json));
        Assert.Equal(400, status);
        Assert.Equal("INVALID_REQUEST", body.Code());
        Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), body.ToString());
    }

    [Fact]
    public async Task Bytes_that_are_not_UTF8_in_a_text_field_are_refused_naming_it()
    {
        using HttpClient client = await app.NewTenantAsync();
        byte[] json = [.. Utf8("{\"idempotency_key\":\"k\",\"subject\":\"a"), 0xC0, 0x80, .. Utf8("\",\"event_type\":\"e\"}")];
        (int status, JsonElement body) = await SendAsync(client, "POST", "/v1/events", json);
        Assert.Equal(400, status);
        Assert.True(body.GetProperty("errors").TryGetProperty("subject", out _), body.ToString());
    }

    [Fact]
    public async Task What_PostgreSQL_holds_is_accepted_and_stored_as_before()
    {
        (string tenant, _, HttpClient tenantClient) = await app.NewTenantWithKeyAsync();
        using HttpClient client = tenantClient;
        // Control characters and a surrogate pair in a subject, escaped as JSON does.
        const string Subject = "agent:\\u0001\\u001f\\ud83d\\ude00";
        Assert.Equal(201, (await client.PostRawAsync("/v1/meters", """{"code":"t","event_type":"t","aggregation":"sum","value_property":"n"}""")).Status);
        Assert.Equal(201, (await client.PostRawAsync("/v1/customers", """{"id":"c","currency":"USD"}""")).Status);
        Assert.Equal(201, (await client.PostRawAsync("/v1/plans", """{"code":"p","currency":"USD","interval":"month"}""")).Status);
        Assert.Equal(201, (await client.PostRawAsync("/v1/subscriptions", $$"""{"id":"s","customer_id":"c","plan":"p","subjects":["{{Subject}}"]}""")).Status);
        string[] events =
        [
            $$$"""{"idempotency_key":"k1\u0007","subject":"{{{Subject}}}","event_type":"t","properties":{"n":1,"note":"\u0001\t\ud83d\ude00"}}""",
            // The largest and smallest magnitudes PostgreSQL numeric holds.
            $$$"""{"idempotency_key":"k2","subject":"{{{Subject}}}","event_type":"t","properties":{"big":1e131071,"small":1e-16383,"zero":0e99999}}""",
            // An unknown field is ignored, whatever it holds.
            $$"""{"idempotency_key":"k3","subject":"{{Subject}}","event_type":"t","properties":{"n":2},"extra":"\u0000\ud800"}""",
        ];
        foreach (string e in events)
        {
            (int status, JsonElement body) = await client.PostRawAsync("/v1/events", e);
            Assert.True(status == 201, body.ToString());
        }

        // Bytes in properties that are not UTF-8 have always been stored as U+FFFD, in values and in names.
        byte[] notUtf8 = [.. Utf8($$"""{"idempotency_key":"k4","subject":"{{Subject}}","event_type":"t","properties":{"note":"a"""), 0xFF, .. Utf8("\",\"b"), 0xFE, .. Utf8("\":1}}")];
        Assert.Equal(201, (await SendAsync(client, "POST", "/v1/events", notUtf8)).Status);

        await using NpgsqlConnection db = await app.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand("SELECT count(*), max(properties::text) FILTER (WHERE idempotency_key = 'k4') FROM events WHERE tenant_id = $1", db);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        await using NpgsqlDataReader stored = await command.ExecuteReaderAsync();
        Assert.True(await stored.ReadAsync());
        Assert.Equal(4, stored.GetInt64(0));
        Assert.Equal("{\"b\uFFFD\": 1, \"note\": \"a\uFFFD\"}", stored.GetString(1));
        (_, JsonElement usage) = await client.GetJsonAsync("/v1/subscriptions/s/usage?meter=t");
        Assert.Equal("3", usage.Str("value"));
    }

    [Fact]
    public async Task Sums_past_the_largest_decimal_stop_there_and_the_subscription_keeps_taking_events()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", new { code = "tokens", event_type = "tokens", aggregation = "sum", value_property = "n" });
        Assert.Equal(200, (await SendAsync(client, "PUT", "/v1/subscriptions/sub_1/quotas/tokens", Utf8("""{"limit":"100","period":"none","overflow":"allow_overage"}"""))).Status);
        for (int i = 0; i < 3; i++)
        {
            // Before, the second overflowed the sum after the event was stored: 503 for it, and for every event after it, as
            // the subscription's grain could no longer load its own log.
            (int status, JsonElement body) = await client.PostRawAsync("/v1/events", $$$"""{"idempotency_key":"big-{{{i}}}","subject":"{{{subject}}}","event_type":"tokens","properties":{"n":{{{LargestDecimal}}}}}""");
            Assert.True(status == 201, body.ToString());
        }

        (int consumed, JsonElement consume) = await client.PostRawAsync("/v1/quotas/consume", $$"""{"subject":"{{subject}}","meter":"tokens","amount":"1","idempotency_key":"after"}""");
        Assert.True(consumed == 200 && consume.GetProperty("allowed").GetBoolean(), consume.ToString());
        (_, JsonElement usage) = await client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=tokens");
        Assert.Equal(LargestDecimal, usage.Str("value"));
        Assert.Equal(4, usage.GetProperty("events").GetInt32());
    }

    [Fact]
    public async Task Amounts_past_the_largest_decimal_are_refused_not_failed()
    {
        using HttpClient client = await app.NewTenantAsync();
        (int preview, JsonElement previewBody) = await client.PostRawAsync("/v1/pricing/preview", $$"""{"model":"per_unit","properties":{"unit_price":"2"},"quantity":"{{LargestDecimal}}"}""");
        Assert.Equal(400, preview);
        Assert.True(previewBody.GetProperty("errors").TryGetProperty("quantity", out _), previewBody.ToString());
        (int events, JsonElement eventsBody) = await client.PostRawAsync("/v1/pricing/preview", """{"model":"flat","properties":{"amount":"1"},"quantity":"1","events":"1e20"}""");
        Assert.Equal(400, events);
        Assert.True(eventsBody.GetProperty("errors").TryGetProperty("events", out _), eventsBody.ToString());

        // A fixed fee as large as a decimal gets is accepted; with tax, the invoice's total is beyond it.
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string started = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(-1).ToString("yyyy-MM-ddTHH:mm:ssZ");
        Assert.Equal(201, (await client.PostRawAsync("/v1/customers", """{"id":"c","currency":"USD","tax_rate":"0.2"}""")).Status);
        Assert.Equal(201, (await client.PostRawAsync("/v1/plans", $$"""{"code":"p","currency":"USD","interval":"month","fixed_fee":"{{LargestDecimal}}"}""")).Status);
        Assert.Equal(201, (await client.PostRawAsync("/v1/subscriptions", $$"""{"id":"s","customer_id":"c","plan":"p","started_at":"{{started}}","subjects":["a"]}""")).Status);
        (int status, JsonElement body) = await client.PostRawAsync("/v1/invoices", $$"""{"subscription_id":"s","period_start":"{{started}}"}""");
        Assert.Equal(422, status);
        Assert.Equal("AMOUNT_OUT_OF_RANGE", body.Code());
        (_, JsonElement invoices) = await client.GetJsonAsync("/v1/invoices");
        Assert.Equal(0, invoices.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task A_member_name_that_is_not_text_is_ignored_like_any_unknown_member()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", new { code = "tokens", event_type = "tokens", aggregation = "sum", value_property = "n" });
        // A lookup that passed such a name on its way (to an absent optional field, say) threw: 500 for a field nobody reads.
        const string Name = "\\ud800\\ud800\\ud800";
        (int customer, JsonElement customerBody) = await client.PostRawAsync("/v1/customers", $$"""{"{{Name}}":1,"id":"c2","currency":"USD"}""");
        Assert.True(customer == 201, customerBody.ToString());
        (int quota, JsonElement quotaBody) = await SendAsync(client, "PUT", "/v1/subscriptions/sub_1/quotas/tokens",
            Utf8($$$"""{"limit":"5","period":"none","refill":{"{{{Name}}}":1,"amount":"5","interval":"day"}}"""));
        Assert.True(quota == 200, quotaBody.ToString());
        (int created, JsonElement createdBody) = await client.PostRawAsync("/v1/events", $$$"""{"{{{Name}}}":1,"idempotency_key":"k","subject":"{{{subject}}}","event_type":"tokens","properties":{"n":2}}""");
        Assert.True(created == 201, createdBody.ToString());
        (int batch, JsonElement batchBody) = await client.PostRawAsync("/v1/events/batch", $$$"""{"{{{Name}}}":1,"events":[{"idempotency_key":"k2","subject":"{{{subject}}}","event_type":"tokens","{{{Name}}}":1}]}""");
        Assert.True(batch == 207 && batchBody.GetProperty("succeeded").GetInt32() == 1, batchBody.ToString());
    }

    [Theory]
    [InlineData("GET", "/v1/no-such-thing", 404, "NOT_FOUND")]
    [InlineData("POST", "/v1/subscriptions/a/b/quotas/m", 404, "NOT_FOUND")]
    [InlineData("DELETE", "/v1/meters", 405, "METHOD_NOT_ALLOWED")]
    public async Task Paths_and_methods_without_an_endpoint_answer_problems(string method, string path, int status, string code)
    {
        using HttpClient client = await app.NewTenantAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        using HttpResponseMessage response = await client.SendAsync(request);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Code());
    }
}
