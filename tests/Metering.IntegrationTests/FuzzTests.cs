using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Metering.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Metering.IntegrationTests;

/// <summary>Malformed requests, generated from a fixed seed, on every write endpoint: none may break the server (5xx), every
/// refusal is a problem with a code, and what the API says it stored is exactly what PostgreSQL holds.</summary>
[Collection(AppCollection.Name)]
public sealed class FuzzTests(AppFixture app, ITestOutputHelper output)
{
    private static readonly string s_es256Pem = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfoPem();

    private const int Seed = 20261122;

    private const string Meter = "fz_tokens";
    private const string CountMeter = "fz_calls";
    private const string QuotaMeter = "fz_quota";
    private const string Customer = "fz_cust";
    private const string Plan = "fz_plan";
    private const string Subscription = "fz_sub";
    private const string HugePlan = "fz_huge_plan";
    private const string HugeSubscription = "fz_huge_sub";
    private const string EditedCustomer = "fz_edited";
    private const string CanceledSubscription = "fz_canceled";
    private const string VersionedPlan = "fz_versioned";

    /// <summary>Valid properties of each charge model, for the preview and the price book.</summary>
    private static readonly (string Model, string Properties)[] s_prices =
    [
        ("flat", """{"amount":"10.00"}"""),
        ("per_unit", """{"unit_price":"0.001"}"""),
        ("graduated", """{"tiers":[{"up_to":"1000","unit_price":"0.01","flat_fee":"0"},{"up_to":null,"unit_price":"0.001","flat_fee":"5"}]}"""),
        ("volume", """{"tiers":[{"up_to":1000,"unit_price":"0.01"},{"up_to":null,"unit_price":"0.005","flat_fee":"1"}]}"""),
        ("package", """{"package_size":"100","package_price":"2.50","free_units":"10","overage_unit_price":"0.03"}"""),
        ("percentage", """{"rate":"2.5","fixed_fee_per_event":"0.30","free_units":"0","free_events":"3"}"""),
    ];

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    private static string Quote(string text) => JsonSerializer.Serialize(text);

    [Fact]
    public async Task Malformed_requests_on_every_write_endpoint_are_refused_below_500_as_problems_and_store_exactly_what_was_answered_stored()
    {
        (string tenant, _, HttpClient tenantClient) = await app.NewTenantWithKeyAsync();
        using HttpClient client = tenantClient;
        using HttpClient admin = app.Client(AppFixture.AdminKey);
        string subject = "agent:fuzz:" + tenant;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset started = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(-1);
        (string invoiceId, string endpointId) = await SetUpCatalogAsync(client, subject, started);
        FuzzTarget[] targets = Targets(tenant, subject, started, now, invoiceId, endpointId);

        var fuzzer = new RequestFuzzer(Seed);
        List<FuzzCase> cases = targets.SelectMany(fuzzer.Cases).ToList();
        var failures = new List<string>();
        var perTarget = targets.ToDictionary(t => t.Name, _ => new SortedDictionary<int, int>());
        var timePerTarget = targets.ToDictionary(t => t.Name, _ => TimeSpan.Zero);
        long answeredStored = 0;
        var clock = Stopwatch.StartNew();
        foreach (FuzzCase fuzzCase in cases)
        {
            TimeSpan sent = clock.Elapsed;
            (int status, string? contentType, JsonElement body) = await SendAsync(fuzzCase.Admin ? admin : client, fuzzCase);
            timePerTarget[fuzzCase.Target] += clock.Elapsed - sent;
            perTarget[fuzzCase.Target][status] = perTarget[fuzzCase.Target].GetValueOrDefault(status) + 1;
            string? problem = Judge(fuzzCase, status, contentType, body);
            if (problem is not null)
            {
                failures.Add($"{fuzzCase}: {problem}");
            }

            answeredStored += Stored(fuzzCase, status, body);
        }

        clock.Stop();
        output.WriteLine($"{cases.Count} cases on {targets.Length} endpoints in {clock.Elapsed.TotalSeconds:F1} s (seed {Seed}):");
        foreach (FuzzTarget target in targets)
        {
            SortedDictionary<int, int> statuses = perTarget[target.Name];
            output.WriteLine($"  {statuses.Values.Sum(),5}  {target.Name}  ({string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))}) in {timePerTarget[target.Name].TotalMilliseconds:F0} ms");
        }

        output.WriteLine($"  {cases.Count,5}  total; events answered stored: {answeredStored}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures.Take(40)));
        Assert.True(cases.Count >= 1000, $"only {cases.Count} cases");

        using HttpClient anonymous = app.Client();
        (int ready, _) = await anonymous.GetJsonAsync("/health/ready");
        Assert.Equal(200, ready);
        Assert.Equal(answeredStored, await StoredEventsAsync(tenant));
        // The valid requests among the cases did reach the store, so the count above compares something.
        Assert.True(answeredStored > 0);
    }

    /// <summary>A meter of each kind the endpoints use, a customer, a plan with a price, a subscription that has one ended
    /// period and the current one, quotas, a draft invoice of the ended period and a webhook endpoint: mutated bodies then
    /// reach the checks behind "not found".</summary>
    private static async Task<(string InvoiceId, string EndpointId)> SetUpCatalogAsync(HttpClient client, string subject, DateTimeOffset started)
    {
        async Task Expect(int status, string method, string path, string json)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
            HttpResponseMessage response = await client.SendAsync(request);
            Assert.True((int)response.StatusCode == status, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        await Expect(201, "POST", "/v1/meters", $$"""{"code":"{{Meter}}","event_type":"{{Meter}}","aggregation":"sum","value_property":"tokens","group_by":["model"]}""");
        await Expect(201, "POST", "/v1/meters", $$"""{"code":"{{CountMeter}}","event_type":"{{CountMeter}}","aggregation":"count"}""");
        await Expect(201, "POST", "/v1/meters", $$"""{"code":"{{QuotaMeter}}","event_type":"{{QuotaMeter}}","aggregation":"max","value_property":"usage.level"}""");
        await Expect(201, "POST", "/v1/customers", $$"""{"id":"{{Customer}}","name":"Fuzz","currency":"USD","tax_rate":"0.20"}""");
        await Expect(201, "POST", "/v1/plans", $$"""{"code":"{{Plan}}","currency":"USD","interval":"month","fixed_fee":"99.00"}""");
        await Expect(201, "POST", $"/v1/plans/{Plan}/prices", $$"""{"meter":"{{Meter}}","model":"per_unit","properties":{"unit_price":"0.001"},"effective_from":"{{Iso(started.AddYears(-1))}}"}""");
        await Expect(201, "POST", "/v1/subscriptions", $$"""{"id":"{{Subscription}}","customer_id":"{{Customer}}","plan":"{{Plan}}","started_at":"{{Iso(started)}}","subjects":[{{Quote(subject)}}]}""");
        // Accepted, and as large as a decimal gets: a fee that overflows the invoice's total once tax is added.
        await Expect(201, "POST", "/v1/plans", $$"""{"code":"{{HugePlan}}","currency":"USD","interval":"month","fixed_fee":"79228162514264337593543950335"}""");
        await Expect(201, "POST", "/v1/subscriptions", $$"""{"id":"{{HugeSubscription}}","customer_id":"{{Customer}}","plan":"{{HugePlan}}","started_at":"{{Iso(started)}}","subjects":["{{HugeSubscription}}:agent"]}""");
        await Expect(201, "POST", "/v1/customers", $$"""{"id":"{{EditedCustomer}}","name":"Edited","currency":"USD","tax_rate":"0.20"}""");
        await Expect(201, "POST", "/v1/subscriptions", $$"""{"id":"{{CanceledSubscription}}","customer_id":"{{EditedCustomer}}","plan":"{{Plan}}","started_at":"{{Iso(started)}}","subjects":["{{CanceledSubscription}}:agent"]}""");
        await Expect(201, "POST", "/v1/plans", $$"""{"code":"{{VersionedPlan}}","currency":"USD","interval":"month","fixed_fee":"1"}""");
        await Expect(201, "POST", "/v1/subscriptions", $$"""{"id":"fz_versioned_sub","customer_id":"{{EditedCustomer}}","plan":"{{VersionedPlan}}","started_at":"{{Iso(started)}}","subjects":["fz_versioned_sub:agent"]}""");
        await Expect(200, "PUT", $"/v1/subscriptions/{Subscription}/quotas/{Meter}", """{"limit":"1000000000","period":"none","overflow":"block"}""");
        await Expect(200, "PUT", $"/v1/subscriptions/{Subscription}/quotas/{CountMeter}", """{"limit":"1000000","period":"day","overflow":"allow_overage"}""");
        await Expect(200, "PUT", $"/v1/subscriptions/{Subscription}/quotas/{QuotaMeter}", """{"limit":"100","period":"none"}""");
        (int status, JsonElement invoice) = await client.PostRawAsync("/v1/invoices", $$"""{"subscription_id":"{{Subscription}}","period_start":"{{Iso(started)}}"}""");
        Assert.True(status == 201, invoice.ToString());
        (status, JsonElement endpoint) = await client.PostRawAsync("/v1/webhook-endpoints", $$"""{"url":"{{WebhookUrl}}","events":["credits.low"]}""");
        Assert.True(status == 201, endpoint.ToString());
        return (invoice.Str("id"), endpoint.GetProperty("endpoint").Str("id"));
    }

    /// <summary>A public address (TEST-NET-3) that passes the URL rule without a name to resolve; nothing listens there.</summary>
    private const string WebhookUrl = "https://203.0.113.10/fuzz";

    private static FuzzTarget[] Targets(string tenant, string subject, DateTimeOffset started, DateTimeOffset now, string invoiceId, string endpointId)
    {
        var none = new Dictionary<string, string>();
        int day = 0;
        // Each price gets a day of its own in the past, so that a valid one is stored rather than refused as an overlap.
        DateTimeOffset epoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        string Range() => $"\"effective_from\":\"{Iso(epoch.AddDays(day))}\",\"effective_to\":\"{Iso(epoch.AddDays(++day))}\"";
        string Event(string key) => $$$"""{"idempotency_key":"ev-{{{key}}}","subject":{{{Quote(subject)}}},"event_type":"{{{Meter}}}","properties":{"tokens":1500,"model":"gpt-4","usage":{"input":"12"}},"delegation_chain":["human:alice@example.com"]}""";
        string CloudEvent(string key) => $$$"""{"id":"ce-{{{key}}}","source":"fuzz","specversion":"1.0","type":"{{{Meter}}}","subject":{{{Quote(subject)}}},"time":"{{{Iso(now.AddMinutes(-1))}}}","data":{"tokens":15,"model":"gpt-4"}}""";
        string LagoEvent(string key) => $$$"""{"transaction_id":"tx-{{{key}}}","external_subscription_id":"{{{Subscription}}}","code":"{{{Meter}}}","timestamp":{{{now.AddMinutes(-1).ToUnixTimeSeconds()}}},"properties":{"tokens":15,"model":"gpt-4"}}""";
        var subscriptionQuota = new Dictionary<string, string> { ["id"] = Subscription, ["meter"] = QuotaMeter };
        var invoice = new Dictionary<string, string> { ["id"] = invoiceId };
        return
        [
            new("POST /admin/v1/tenants", HttpMethod.Post, "/admin/v1/tenants", none, [k => Json($$"""{"id":"fz_{{tenant}}_{{k}}"}""")], Admin: true),
            new("POST /v1/meters", HttpMethod.Post, "/v1/meters", none,
            [
                k => Json($$"""{"code":"fzm_{{k}}","event_type":"fz_other","aggregation":"sum","value_property":"usage.input","group_by":["model","region"]}"""),
                k => Json($$"""{"code":"fzc_{{k}}","event_type":"fz_other","aggregation":"count"}"""),
            ]),
            new("POST /v1/customers", HttpMethod.Post, "/v1/customers", none, [k => Json($$"""{"id":"fzc_{{k}}","name":"Fuzz {{k}}","currency":"EUR","tax_rate":"0.19"}""")]),
            new("POST /v1/plans", HttpMethod.Post, "/v1/plans", none, [k => Json($$"""{"code":"fzp_{{k}}","currency":"USD","interval":"week","fixed_fee":"9.50"}""")]),
            new("POST /v1/subscriptions", HttpMethod.Post, "/v1/subscriptions", none,
                [k => Json($$"""{"id":"fzs_{{k}}","customer_id":"{{Customer}}","plan":"{{Plan}}","started_at":"{{Iso(started)}}","subjects":["fz-subject-{{k}}"]}""")]),
            new("POST /v1/events", HttpMethod.Post, "/v1/events", none, [k => Json(Event(k))],
                OptionalText: new Dictionary<string, string> { ["timestamp"] = Iso(now.AddMinutes(-1)), ["signature"] = "c2lnbmF0dXJl", ["signature_algorithm"] = "HMAC-SHA256" },
                Oversized: true),
            new("POST /v1/events/batch", HttpMethod.Post, "/v1/events/batch", none, [k => Json($$"""{"events":[{{Event(k + "-0")}},{{Event(k + "-1")}},{{Event(k + "-2")}}]}""")], Oversized: true),
            new("PUT /v1/subscriptions/{id}/quotas/{meter}", HttpMethod.Put, "/v1/subscriptions/{id}/quotas/{meter}", subscriptionQuota,
            [
                _ => Json("""{"limit":"100","period":"none","overflow":"block","refill":{"amount":"10","interval":"day"}}"""),
                _ => Json("""{"limit":5000,"period":"hour","overflow":"allow_overage","thresholds":[25,75.5,100]}"""),
            ]),
            new("PATCH /v1/subscriptions/{id}/quotas/{meter}", HttpMethod.Patch, "/v1/subscriptions/{id}/quotas/{meter}",
                new Dictionary<string, string> { ["id"] = Subscription, ["meter"] = Meter },
                [_ => Json("""{"increment":"10"}"""), _ => Json("""{"set":"1000000000"}"""), _ => Json("""{"decrement":1}""")]),
            new("POST /v1/quotas/consume", HttpMethod.Post, "/v1/quotas/consume", none,
            [
                k => Json($$"""{"subject":{{Quote(subject)}},"meter":"{{Meter}}","amount":"5","idempotency_key":"cons-{{k}}"}"""),
                k => Json($$"""{"subject":{{Quote(subject)}},"meter":"{{CountMeter}}","amount":1,"idempotency_key":"cons-{{k}}"}"""),
            ]),
            new("GET /v1/quotas/check", HttpMethod.Get, "/v1/quotas/check", none, [], Query: [("subject", subject), ("meter", Meter), ("amount", "1")]),
            new("POST /v1/pricing/preview", HttpMethod.Post, "/v1/pricing/preview", none,
                s_prices.Select(p => (Func<string, JsonObject>)(_ => Json($$"""{"model":"{{p.Model}}","properties":{{p.Properties}},"quantity":"15000","events":10}"""))).ToList()),
            new("POST /v1/plans/{code}/prices", HttpMethod.Post, "/v1/plans/{code}/prices", new Dictionary<string, string> { ["code"] = Plan },
                // The charge models' properties are fuzzed through the preview, which parses them alike; here two models.
                s_prices.Where(p => p.Model is "per_unit" or "graduated").Select(p => (Func<string, JsonObject>)(_ => Json($$$"""{"meter":"{{{Meter}}}","model":"{{{p.Model}}}","properties":{{{p.Properties}}},{{{Range()}}}}"""))).ToList()),
            new("POST /v1/invoices", HttpMethod.Post, "/v1/invoices", none,
            [
                _ => Json($$"""{"subscription_id":"{{Subscription}}","period_start":"{{Iso(started.AddMonths(1))}}"}"""),
                _ => Json($$"""{"subscription_id":"{{HugeSubscription}}","period_start":"{{Iso(started)}}"}"""),
            ]),
            new("POST /v1/invoices/{id}/refresh", HttpMethod.Post, "/v1/invoices/{id}/refresh", invoice, []),
            new("POST /v1/invoices/{id}/finalize", HttpMethod.Post, "/v1/invoices/{id}/finalize", invoice, []),
            new("POST /v1/invoices/{id}/void", HttpMethod.Post, "/v1/invoices/{id}/void", invoice, []),
            new("POST /v1/billing-runs", HttpMethod.Post, "/v1/billing-runs", none, [_ => Json($$"""{"period_end_before":"{{Iso(now)}}"}""")]),
            new("POST /v1/rerating-jobs", HttpMethod.Post, "/v1/rerating-jobs", none,
                [_ => Json($$"""{"customer_ids":["{{Customer}}"],"from":"{{Iso(started)}}","to":"{{Iso(now)}}"}""")]),
            new("POST /v1/signing-keys", HttpMethod.Post, "/v1/signing-keys", none,
                [k => Json($$"""{"id":"fzk_{{k}}","algorithm":"hmac-sha256","subjects":["*"]}"""),
                 k => Json($$"""{"id":"fze_{{k}}","algorithm":"es256","public_key":{{JsonSerializer.Serialize(s_es256Pem)}},"subjects":["{{subject}}"]}""")]),
            new("PUT /v1/settings/signatures", HttpMethod.Put, "/v1/settings/signatures", none, [_ => Json("""{"policy":"verify_if_present"}""")]),
            new("POST /v1/api-keys", HttpMethod.Post, "/v1/api-keys", none, [k => Json($$"""{"scopes":["read","ingest"],"description":"fuzz {{k}}"}""")]),
            new("PATCH /v1/customers/{id}", HttpMethod.Patch, "/v1/customers/{id}", new Dictionary<string, string> { ["id"] = EditedCustomer },
                [k => Json($$"""{"metadata":{"nested":{"a":[1,2]},"crm":"{{k}}"},"name":"Edited {{k}}","email":"billing@fuzz.test","tax_rate":"0.1"}""")]),
            new("PATCH /v1/plans/{code}", HttpMethod.Patch, "/v1/plans/{code}", new Dictionary<string, string> { ["code"] = VersionedPlan },
                [_ => Json("""{"fixed_fee":"12.50","proration":"daily"}""")]),
            new("POST /v1/plans/{code}/migrate", HttpMethod.Post, "/v1/plans/{code}/migrate", new Dictionary<string, string> { ["code"] = VersionedPlan }, [_ => Json("{}")]),
            new("PATCH /v1/meters/{code}", HttpMethod.Patch, "/v1/meters/{code}", new Dictionary<string, string> { ["code"] = Meter },
                [k => Json($$"""{"name":"Tokens {{k}}","description":"fuzzed","aggregation":"sum","value_property":"tokens","group_by":["model"]}""")]),
            new("POST /v1/subscriptions/{id}/subjects", HttpMethod.Post, "/v1/subscriptions/{id}/subjects", new Dictionary<string, string> { ["id"] = CanceledSubscription },
                [k => Json($$"""{"subject":"fz-added-{{k}}","from":"{{Iso(now.AddHours(-1))}}"}""")]),
            new("POST /v1/subscriptions/{id}/subjects/{subject}/remove", HttpMethod.Post, "/v1/subscriptions/{id}/subjects/{subject}/remove",
                new Dictionary<string, string> { ["id"] = CanceledSubscription, ["subject"] = CanceledSubscription + ":agent" }, [_ => Json($$"""{"at":"{{Iso(now)}}"}""")]),
            new("POST /v1/subscriptions/{id}/change-plan", HttpMethod.Post, "/v1/subscriptions/{id}/change-plan", new Dictionary<string, string> { ["id"] = CanceledSubscription },
                [_ => Json($$"""{"plan":"{{HugePlan}}","at":"period_end","quotas":"carry_over"}""")]),
            new("POST /v1/subscriptions/{id}/cancel", HttpMethod.Post, "/v1/subscriptions/{id}/cancel", new Dictionary<string, string> { ["id"] = CanceledSubscription },
                [_ => Json("""{"at":"period_end"}""")]),
            new("POST /api/v1/events", HttpMethod.Post, "/api/v1/events", none, [k => Json(CloudEvent(k))]),
            new("POST /api/v1/meters", HttpMethod.Post, "/api/v1/meters", none,
                [k => Json($$$"""{"slug":"fzom_{{{k}}}","eventType":"{{{Meter}}}","aggregation":"AVG","valueProperty":"$.tokens","groupBy":{"model":"$.model"}}""")]),
            new("POST /api/v1/meters/{idOrSlug}/query", HttpMethod.Post, "/api/v1/meters/{idOrSlug}/query", new Dictionary<string, string> { ["idOrSlug"] = Meter },
                [_ => Json($$$"""{"from":"{{{Iso(now.AddHours(-2))}}}","to":"{{{Iso(now.AddHours(-1))}}}","windowSize":"MINUTE","windowTimeZone":"Europe/Paris","groupBy":["model","subject"],"filterGroupBy":{"model":"gpt-4"},"subject":[{{{Quote(subject)}}}]}""")]),
            new("GET /api/v1/meters/{idOrSlug}/query", HttpMethod.Get, "/api/v1/meters/{idOrSlug}/query", new Dictionary<string, string> { ["idOrSlug"] = Meter }, [],
                Query: [("from", Iso(now.AddHours(-2))), ("to", Iso(now.AddHours(-1))), ("windowSize", "HOUR"), ("groupBy", "model"), ("filterGroupBy[model]", "gpt-4")]),
            new("POST /lago/api/v1/events", HttpMethod.Post, "/lago/api/v1/events", none, [k => Json("{\"event\":" + LagoEvent(k) + "}")]),
            new("POST /lago/api/v1/events/batch", HttpMethod.Post, "/lago/api/v1/events/batch", none, [k => Json("{\"events\":[" + LagoEvent(k + "-0") + "," + LagoEvent(k + "-1") + "]}")]),
            new("POST /v1/webhook-endpoints", HttpMethod.Post, "/v1/webhook-endpoints", none,
                [k => Json($$"""{"url":"{{WebhookUrl}}/{{k}}","events":["credits.low","rerating.completed"],"description":"fuzz {{k}}"}""")]),
            new("PATCH /v1/webhook-endpoints/{id}", HttpMethod.Patch, "/v1/webhook-endpoints/{id}", new Dictionary<string, string> { ["id"] = endpointId },
                [k => Json($$"""{"url":"{{WebhookUrl}}/{{k}}","events":["credits.low"],"description":"fuzz {{k}}","enabled":true}""")]),
        ];
    }

    private static async Task<(int Status, string? ContentType, JsonElement Body)> SendAsync(HttpClient client, FuzzCase fuzzCase)
    {
        using var request = new HttpRequestMessage(fuzzCase.Method, fuzzCase.PathAndQuery);
        if (fuzzCase.Body is not null)
        {
            request.Content = new ByteArrayContent(fuzzCase.Body);
            // A body over the limit is refused by its Content-Length before it is read; without 100-continue the client would
            // still be writing it when the server closes the connection.
            request.Headers.ExpectContinue = fuzzCase.Body.Length > 5 * 1024 * 1024;
            if (fuzzCase.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", fuzzCase.ContentType);
            }
        }

        using HttpResponseMessage response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        JsonElement body = default;
        try
        {
            body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            // Judged below: an answer that is not JSON has no code.
        }

        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
    }

    /// <summary>Why an answer is wrong, or null: a 5xx; an error that is not a problem with a code; a batch result that
    /// failed without one.</summary>
    private static string? Judge(FuzzCase fuzzCase, int status, string? contentType, JsonElement body)
    {
        if (status >= 500)
        {
            return $"answered {status}: {Truncated(body)}";
        }

        if (fuzzCase.RefusedByServer)
        {
            // Kestrel refuses the request line itself, before any application code can answer.
            return status == 400 ? null : $"answered {status}, not the HTTP server's 400";
        }

        if (status >= 400 && fuzzCase.Target.StartsWith("POST /lago/", StringComparison.Ordinal) && contentType == "application/json")
        {
            // Lago's clients read Lago's errors: {"status","error","code","error_details"}.
            bool lagoCode = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("code", out JsonElement lago) && lago.ValueKind == JsonValueKind.String;
            return lagoCode ? null : $"answered {status} without Lago's code: {Truncated(body)}";
        }

        if (status >= 400)
        {
            bool hasCode = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("code", out JsonElement code)
                && code.ValueKind == JsonValueKind.String && code.GetString()!.Length > 0;
            return contentType == "application/problem+json" && hasCode ? null : $"answered {status} as {contentType ?? "nothing"} without a code: {Truncated(body)}";
        }

        if (status == 207)
        {
            JsonElement failed = body.GetProperty("results").EnumerateArray().FirstOrDefault(r => r.GetProperty("status").GetInt32() != 201 && !r.TryGetProperty("code", out _));
            return failed.ValueKind == JsonValueKind.Undefined ? null : $"a batch result failed without a code: {failed}";
        }

        return null;
    }

    private static string Truncated(JsonElement body) => body.ValueKind == JsonValueKind.Undefined ? "(no JSON)" : body.ToString()[..Math.Min(body.ToString().Length, 400)];

    /// <summary>Events the answer says are durable: a created event, a batch's created results, an allowed consume.</summary>
    private static long Stored(FuzzCase fuzzCase, int status, JsonElement body) => (fuzzCase.Target, status) switch
    {
        ("POST /v1/events", 201) => 1,
        ("POST /v1/events/batch", 207) => body.GetProperty("results").EnumerateArray().Count(r => r.GetProperty("status").GetInt32() == 201),
        ("POST /v1/quotas/consume", 200) => body.GetProperty("allowed").GetBoolean() ? 1 : 0,
        ("POST /api/v1/events", 204) => 1,
        ("POST /lago/api/v1/events", 200) => 1,
        ("POST /lago/api/v1/events/batch", 200) => body.GetProperty("events").GetArrayLength(),
        _ => 0,
    };

    private async Task<long> StoredEventsAsync(string tenant)
    {
        await using NpgsqlConnection db = await app.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM events WHERE tenant_id = $1", db);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
