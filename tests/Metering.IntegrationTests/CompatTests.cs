using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests;

/// <summary>The OpenMeter-compatible API (/api/v1), the Lago-compatible one (/lago/api/v1), and minute windows and ranges on
/// any minute in /v1 usage, over real HTTP and PostgreSQL. The npm SDKs drive the same surfaces in tests/compat.</summary>
[Collection(AppCollection.Name)]
public sealed class CompatTests(AppFixture app)
{
    private static readonly DateTimeOffset s_start = Minute(DateTimeOffset.UtcNow).AddMinutes(-20);

    private static DateTimeOffset Minute(DateTimeOffset t) => new(t.Year, t.Month, t.Day, t.Hour, t.Minute, 0, TimeSpan.Zero);

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string CloudEvent(string id, string subject, int minute, string model, decimal tokens, string type = "ai-tokens")
        => "{\"id\":\"" + id + "\",\"source\":\"test\",\"specversion\":\"1.0\",\"type\":\"" + type + "\",\"subject\":\"" + subject + "\",\"time\":\"" + Iso(s_start.AddMinutes(minute).AddSeconds(5))
            + "\",\"data\":{\"model\":\"" + model + "\",\"tokens\":" + tokens.ToString(CultureInfo.InvariantCulture) + "}}";

    private static async Task<(int Status, string? ContentType, JsonElement Body)> SendAsync(HttpClient client, HttpMethod method, string path, string? body,
        string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using HttpResponseMessage response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<HttpClient> TenantWithSubscriptionsAsync()
    {
        HttpClient client = await app.NewTenantAsync();
        string started = Iso(s_start.AddDays(-1));
        foreach ((string customer, string subscription, string[] subjects) in new[] { ("acme", "sub_a", new[] { "acme-1", "acme-2" }), ("beta", "sub_b", new[] { "beta-1" }) })
        {
            Assert.Equal(201, (await client.PostAsync("/v1/customers", new { id = customer, currency = "EUR", tax_rate = "0.10" })).Status);
            await client.PostAsync("/v1/plans", new { code = "pro", currency = "EUR", interval = "month", fixed_fee = "5" });
            Assert.Equal(201, (await client.PostAsync("/v1/subscriptions", new { id = subscription, customer_id = customer, plan = "pro", started_at = started, subjects })).Status);
        }

        return client;
    }

    [Fact]
    public async Task CloudEvents_are_ingested_once_and_meters_are_queried_by_window_subject_and_group()
    {
        using HttpClient client = await TenantWithSubscriptionsAsync();
        (int created, _, JsonElement meter) = await SendAsync(client, HttpMethod.Post, "/api/v1/meters",
            """{"slug":"tokens","eventType":"ai-tokens","aggregation":"SUM","valueProperty":"$.tokens","groupBy":{"model":"$.model"}}""");
        Assert.Equal(201, created);
        Assert.Equal(("tokens", "SUM", "$.tokens", "$.model"), (meter.Str("slug"), meter.Str("aggregation"), meter.Str("valueProperty"), meter.GetProperty("groupBy").Str("model")));
        Assert.Equal(201, (await SendAsync(client, HttpMethod.Post, "/api/v1/meters", """{"slug":"avg_tokens","eventType":"ai-tokens","aggregation":"AVG","valueProperty":"$.tokens"}""")).Status);
        Assert.Equal(409, (await SendAsync(client, HttpMethod.Post, "/api/v1/meters", """{"slug":"tokens","eventType":"ai-tokens","aggregation":"COUNT"}""")).Status);

        Assert.Equal(204, (await SendAsync(client, HttpMethod.Post, "/api/v1/events", CloudEvent("e1", "acme-1", 1, "gpt-4", 100), "application/cloudevents+json; charset=utf-8")).Status);
        string batch = $"[{CloudEvent("e2", "acme-2", 1, "gpt-4", 50)},{CloudEvent("e3", "beta-1", 2, "claude", 7.5m)},{CloudEvent("e1", "acme-1", 1, "gpt-4", 100)}]";
        Assert.Equal(204, (await SendAsync(client, HttpMethod.Post, "/api/v1/events", batch, "application/cloudevents-batch+json")).Status);
        Assert.Equal(204, (await SendAsync(client, HttpMethod.Post, "/api/v1/events", CloudEvent("e4", "acme-1", 3, "claude", 1))).Status);

        string range = $"from={Iso(s_start)}&to={Iso(s_start.AddMinutes(10))}";
        (int status, _, JsonElement minutes) = await SendAsync(client, HttpMethod.Get, $"/api/v1/meters/tokens/query?{range}&windowSize=MINUTE&groupBy=model", null);
        Assert.Equal(200, status);
        Assert.Equal("MINUTE", minutes.Str("windowSize"));
        Assert.Equal([(Iso(s_start.AddMinutes(1)), "gpt-4", 150m), (Iso(s_start.AddMinutes(2)), "claude", 7.5m), (Iso(s_start.AddMinutes(3)), "claude", 1m)],
            minutes.GetProperty("data").EnumerateArray().Select(r => (r.Str("windowStart"), r.GetProperty("groupBy").Str("model"), r.GetProperty("value").GetDecimal())));

        (_, _, JsonElement bySubject) = await SendAsync(client, HttpMethod.Post, "/api/v1/meters/tokens/query",
            "{\"from\":\"" + Iso(s_start) + "\",\"to\":\"" + Iso(s_start.AddMinutes(10)) + "\",\"groupBy\":[\"subject\"],\"subject\":[\"acme-1\",\"beta-1\"],\"filterGroupBy\":{\"model\":\"gpt-4\"}}");
        Assert.Equal([("acme-1", 100m)], bySubject.GetProperty("data").EnumerateArray().Select(r => (r.Str("subject"), r.GetProperty("value").GetDecimal())));
        (_, _, JsonElement avg) = await SendAsync(client, HttpMethod.Get, $"/api/v1/meters/avg_tokens/query?{range}&windowSize=DAY&windowTimeZone=Europe/Paris", null);
        Assert.Equal(158.5m / 4, avg.GetProperty("data").EnumerateArray().Sum(r => r.GetProperty("value").GetDecimal()));

        // /v1 usage on minute windows and off-the-hour ranges gives the same figures, from the same events.
        (int v1, JsonElement usage) = await client.GetJsonAsync($"/v1/subscriptions/sub_a/usage?meter=tokens&{range}&window=minute&group_by=model");
        Assert.Equal(200, v1);
        Assert.Equal(("151", 3L), (usage.Str("value"), usage.GetProperty("events").GetInt64()));
        Assert.Equal(["150", "1"], usage.GetProperty("windows").EnumerateArray().Select(w => w.Str("value")));
        (_, JsonElement hours) = await client.GetJsonAsync($"/v1/subscriptions/sub_a/usage?meter=avg_tokens&from={Iso(s_start.AddMinutes(2))}&to={Iso(s_start.AddMinutes(4))}&window=hour");
        Assert.Equal("1", hours.Str("value"));
        Assert.Equal(400, (await client.GetJsonAsync($"/v1/subscriptions/sub_a/usage?meter=tokens&from={Iso(s_start.AddSeconds(30))}")).Status);
        Assert.Equal(400, (await client.GetJsonAsync($"/v1/subscriptions/sub_a/usage?meter=tokens&window=week")).Status);

        (_, _, JsonElement listed) = await SendAsync(client, HttpMethod.Get, "/api/v1/meters", null);
        Assert.Equal(["avg_tokens", "tokens"], listed.EnumerateArray().Select(m => m.Str("slug")).Order());
        Assert.Equal("AVG", (await SendAsync(client, HttpMethod.Get, "/api/v1/meters/avg_tokens", null)).Body.Str("aggregation"));
        Assert.Equal(404, (await SendAsync(client, HttpMethod.Get, "/api/v1/meters/none", null)).Status);
    }

    [Theory]
    [InlineData("application/cloudevents+json", "[]", 400, "INVALID_REQUEST")]
    [InlineData("application/cloudevents-batch+json", "{}", 400, "INVALID_REQUEST")]
    [InlineData("application/json", "\"x\"", 400, "INVALID_REQUEST")]
    [InlineData("text/plain", "[]", 415, "UNSUPPORTED_MEDIA_TYPE")]
    [InlineData("application/json", "[]", 400, "TOO_MANY_EVENTS")]
    [InlineData("application/json", "{", 400, "INVALID_REQUEST")]
    [InlineData("application/json", "[1]", 400, "INVALID_REQUEST")]
    [InlineData("application/json", """{"id":"x","source":"s","specversion":"0.3","type":"ai-tokens","subject":"acme-1"}""", 400, "INVALID_REQUEST")]
    [InlineData("application/json", """{"source":"s","specversion":"1.0","type":"ai-tokens","subject":"acme-1"}""", 400, "INVALID_REQUEST")]
    [InlineData("application/json", """{"id":"x","source":"s","specversion":"1.0","type":"AI","subject":"acme-1","data":{"a":1}}""", 400, "INVALID_REQUEST")]
    [InlineData("application/json", """{"id":"x","source":"s","specversion":"1.0","type":"ai-tokens","subject":"acme-1","time":"2000-01-01T00:00:00Z"}""", 400, "TIMESTAMP_TOO_OLD")]
    [InlineData("application/json", """{"id":"x","source":"s","specversion":"1.0","type":"ai-tokens","subject":"nobody"}""", 422, "UNKNOWN_SUBJECT")]
    public async Task A_bad_request_of_CloudEvents_is_a_problem_and_stores_nothing(string contentType, string body, int status, string code)
    {
        using HttpClient client = await TenantWithSubscriptionsAsync();
        (int actual, string? type, JsonElement problem) = await SendAsync(client, HttpMethod.Post, "/api/v1/events", body, contentType);
        Assert.Equal((status, code), (actual, problem.Code()));
        Assert.Equal("application/problem+json", type);
        (_, _, JsonElement total) = await SendAsync(client, HttpMethod.Post, "/api/v1/meters", """{"slug":"calls","eventType":"ai-tokens","aggregation":"COUNT"}""");
        Assert.Equal("COUNT", total.Str("aggregation"));
        Assert.Equal(0, (await SendAsync(client, HttpMethod.Get, "/api/v1/meters/calls/query", null)).Body.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task A_key_reused_with_another_payload_and_a_long_id_are_refused_naming_the_event()
    {
        using HttpClient client = await TenantWithSubscriptionsAsync();
        Assert.Equal(204, (await SendAsync(client, HttpMethod.Post, "/api/v1/events", CloudEvent("k", "acme-1", 1, "gpt-4", 1))).Status);
        (int status, _, JsonElement reused) = await SendAsync(client, HttpMethod.Post, "/api/v1/events", $"[{CloudEvent("k2", "acme-1", 1, "gpt-4", 1)},{CloudEvent("k", "acme-1", 1, "gpt-4", 2)}]");
        Assert.Equal((422, "IDEMPOTENCY_KEY_REUSED"), (status, reused.Code()));
        Assert.StartsWith("Event 1: ", reused.Str("detail"), StringComparison.Ordinal);
        (int longStatus, _, JsonElement tooLong) = await SendAsync(client, HttpMethod.Post, "/api/v1/events", CloudEvent(new string('i', 250), "acme-1", 1, "gpt-4", 1));
        Assert.Equal(400, longStatus);
        Assert.True(tooLong.GetProperty("errors").TryGetProperty("[0].id", out _), tooLong.ToString());
        Assert.Equal(400, (await SendAsync(client, HttpMethod.Post, "/api/v1/events", CloudEvent("big", "acme-1", 1, "gpt-4", 1).Replace("\"data\":{", "\"data\":{\"x\":{\"y\":{\"z\":{\"w\":1}}},", StringComparison.Ordinal))).Status);
    }

    [Theory]
    [InlineData("""{"slug":"Bad","eventType":"e","aggregation":"SUM","valueProperty":"$.n"}""", "slug")]
    [InlineData("""{"slug":"m","eventType":"e","aggregation":"sum","valueProperty":"$.n"}""", "aggregation")]
    [InlineData("""{"slug":"m","eventType":"e","aggregation":"MEDIAN","valueProperty":"$.n"}""", "aggregation")]
    [InlineData("""{"slug":"m","eventType":"e","aggregation":"SUM"}""", "valueProperty")]
    [InlineData("""{"slug":"m","eventType":"e","aggregation":"SUM","valueProperty":"tokens"}""", "valueProperty")]
    [InlineData("""{"slug":"m","eventType":"e","aggregation":"COUNT","groupBy":{"m":"$.model"}}""", "groupBy.m")]
    [InlineData("""{"slug":"m","eventType":"e","aggregation":"COUNT","groupBy":{"m":"model"}}""", "groupBy.m")]
    [InlineData("""{"slug":"m","eventType":"e","aggregation":"COUNT","groupBy":{"a":"$.a","b":"$.b","c":"$.c","d":"$.d","e":"$.e","f":"$.f","g":"$.g","h":"$.h","i":"$.i","j":"$.j","k":"$.k","l":"$.l","m":"$.m","n":"$.n","o":"$.o","p":"$.p","q":"$.q"}}""", "groupBy")]
    public async Task An_OpenMeter_meter_that_Metering_cannot_hold_exactly_is_refused_naming_the_field(string body, string field)
    {
        using HttpClient client = await app.NewTenantAsync();
        (int status, _, JsonElement problem) = await SendAsync(client, HttpMethod.Post, "/api/v1/meters", body);
        Assert.Equal(400, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-01-01", "to")]
    [InlineData("from=2026-01-01T00:00:30Z", "from")]
    [InlineData("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to")]
    [InlineData("windowSize=WEEK", "windowSize")]
    [InlineData("windowSize=minute", "windowSize")]
    [InlineData("windowTimeZone=Mars/Olympus", "windowTimeZone")]
    [InlineData("groupBy=colour", "groupBy")]
    [InlineData("filterGroupBy[colour]=red", "filterGroupBy")]
    public async Task A_meter_query_that_cannot_be_answered_exactly_is_a_problem_naming_the_parameter(string query, string field)
    {
        using HttpClient client = await app.NewTenantAsync();
        Assert.Equal(201, (await SendAsync(client, HttpMethod.Post, "/api/v1/meters", """{"slug":"m","eventType":"e","aggregation":"MAX","valueProperty":"$.n","groupBy":{"model":"$.model"}}""")).Status);
        (int status, _, JsonElement problem) = await SendAsync(client, HttpMethod.Get, "/api/v1/meters/m/query?" + query, null);
        Assert.Equal(400, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        string subjects = string.Join(",", Enumerable.Range(0, 101).Select(i => $"\"s{i}\""));
        Assert.Equal(400, (await SendAsync(client, HttpMethod.Post, "/api/v1/meters/m/query", $$"""{"subject":[{{subjects}}]}""")).Status);
        Assert.Equal(404, (await SendAsync(client, HttpMethod.Post, "/api/v1/meters/none/query", "{}")).Status);
        Assert.Equal(400, (await SendAsync(client, HttpMethod.Post, "/api/v1/meters/m/query", """{"filterGroupBy":{"model":5}}""")).Status);
    }

    [Fact]
    public async Task Lago_events_are_stored_once_per_subscription_and_priced_in_current_usage()
    {
        using HttpClient client = await TenantWithSubscriptionsAsync();
        Assert.Equal(201, (await client.PostAsync("/v1/meters", new { code = "calls", event_type = "call", aggregation = "sum", value_property = "n" })).Status);
        Assert.Equal(201, (await client.PostAsync("/v1/plans/pro/prices", new { meter = "calls", model = "graduated", properties = new { tiers = new object[] { new { up_to = "10", unit_price = "0.10" }, new { up_to = (string?)null, unit_price = "0.05" } } }, effective_from = "2020-01-01T00:00:00Z" })).Status);
        long ts = s_start.AddMinutes(5).ToUnixTimeSeconds();
        string Event(string tx, string sub, decimal n, string timestamp) => "{\"transaction_id\":\"" + tx + "\",\"external_subscription_id\":\"" + sub + "\",\"code\":\"calls\",\"timestamp\":" + timestamp
            + ",\"properties\":{\"n\":" + n.ToString(CultureInfo.InvariantCulture) + "}}";

        (int status, _, JsonElement one) = await SendAsync(client, HttpMethod.Post, "/lago/api/v1/events", $$"""{"event":{{Event("t1", "sub_a", 8, ts.ToString(CultureInfo.InvariantCulture))}}}""");
        Assert.Equal(200, status);
        JsonElement e = one.GetProperty("event");
        Assert.Equal(("t1", "sub_a", "acme", "calls", Iso(s_start.AddMinutes(5))), (e.Str("transaction_id"), e.Str("lago_subscription_id"), e.Str("lago_customer_id"), e.Str("code"), e.Str("timestamp")));
        // The same transaction id in another subscription is another event, as in Lago.
        Assert.Equal(200, (await SendAsync(client, HttpMethod.Post, "/lago/api/v1/events", $$"""{"event":{{Event("t1", "sub_b", 1, $"\"{ts}.5\"")}}}""")).Status);
        (int again, _, JsonElement duplicate) = await SendAsync(client, HttpMethod.Post, "/lago/api/v1/events", $$"""{"event":{{Event("t1", "sub_a", 9, ts.ToString(CultureInfo.InvariantCulture))}}}""");
        Assert.Equal(422, again);
        Assert.Equal("""{"status":422,"error":"Unprocessable Entity","code":"validation_errors","error_details":{"transaction_id":["value_already_exist"]}}""", duplicate.GetRawText());

        (int batchStatus, _, JsonElement batch) = await SendAsync(client, HttpMethod.Post, "/lago/api/v1/events/batch", $"{{\"events\":[{Event("t2", "sub_a", 3, ts.ToString(CultureInfo.InvariantCulture))},{Event("t3", "sub_a", 1.5m, "null")}]}}");
        Assert.Equal(200, batchStatus);
        Assert.Equal(2, batch.GetProperty("events").GetArrayLength());
        (int refused, _, JsonElement details) = await SendAsync(client, HttpMethod.Post, "/lago/api/v1/events/batch",
            $"{{\"events\":[{Event("t4", "sub_a", 100, "1")},{Event("t5", "sub_x", 100, "\"soon\"")},{Event("t6", "sub_a", 1, "-5")},{Event("t4", "sub_a", 100, "2")},{{\"code\":5}},7]}}");
        Assert.Equal(422, refused);
        JsonElement byIndex = details.GetProperty("error_details");
        Assert.Equal("timestamp", byIndex.GetProperty("0").EnumerateObject().Single().Name);
        Assert.Equal(["timestamp"], byIndex.GetProperty("1").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["code", "external_subscription_id", "transaction_id"], byIndex.GetProperty("4").EnumerateObject().Select(p => p.Name).Order());
        Assert.True(byIndex.TryGetProperty("5", out _));
        Assert.Equal(422, (await SendAsync(client, HttpMethod.Post, "/lago/api/v1/events/batch", $"{{\"events\":[{Event("t7", "sub_a", 1, "null")},{Event("t7", "sub_a", 1, "null")}]}}")).Status);
        Assert.Equal(422, (await SendAsync(client, HttpMethod.Post, "/lago/api/v1/events/batch", "{\"events\":[]}")).Status);
        Assert.Equal(422, (await SendAsync(client, HttpMethod.Post, "/lago/api/v1/events/batch", "{}")).Status);
        Assert.Equal(404, (await SendAsync(client, HttpMethod.Post, "/lago/api/v1/events", $$"""{"event":{{Event("t8", "sub_x", 1, "null")}}}""")).Status);
        Assert.Equal(422, (await SendAsync(client, HttpMethod.Post, "/lago/api/v1/events", """{"event":{"transaction_id":"t9","external_subscription_id":"sub_a","code":"nope"}}""")).Status);
        Assert.Equal(422, (await SendAsync(client, HttpMethod.Post, "/lago/api/v1/events", """{"event":"t9"}""")).Status);
        Assert.Equal(400, (await SendAsync(client, HttpMethod.Post, "/lago/api/v1/events", "[]")).Status);

        // 12.5 units: 10 × 0.10 + 2.5 × 0.05 = 1.125 → 1.13 EUR; tax 10 % → 0.11.
        (int usageStatus, _, JsonElement usage) = await SendAsync(client, HttpMethod.Get, "/lago/api/v1/customers/acme/current_usage?external_subscription_id=sub_a", null);
        Assert.Equal(200, usageStatus);
        JsonElement u = usage.GetProperty("customer_usage");
        Assert.Equal((113L, 11L, 124L, "EUR"), (u.GetProperty("amount_cents").GetInt64(), u.GetProperty("taxes_amount_cents").GetInt64(), u.GetProperty("total_amount_cents").GetInt64(), u.Str("currency")));
        JsonElement charge = u.GetProperty("charges_usage").EnumerateArray().Single();
        Assert.Equal(("12.5", 3L, "sum_agg", "graduated"), (charge.Str("units"), charge.GetProperty("events_count").GetInt64(), charge.GetProperty("billable_metric").Str("aggregation_type"), charge.GetProperty("charge").Str("charge_model")));
        Assert.Equal(422, (await SendAsync(client, HttpMethod.Get, "/lago/api/v1/customers/acme/current_usage", null)).Status);
        Assert.Equal("subscription_not_found", (await SendAsync(client, HttpMethod.Get, "/lago/api/v1/customers/acme/current_usage?external_subscription_id=sub_b", null)).Body.Str("code"));
        Assert.Equal("customer_not_found", (await SendAsync(client, HttpMethod.Get, "/lago/api/v1/customers/nobody/current_usage?external_subscription_id=sub_a", null)).Body.Str("code"));
        Assert.Equal("12.5", (await client.GetJsonAsync("/v1/subscriptions/sub_a/usage?meter=calls")).Body.Str("value"));
    }
}
