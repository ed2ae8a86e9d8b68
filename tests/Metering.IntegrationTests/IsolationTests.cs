using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests;

/// <summary>A key sees only its tenant's data: with tenant A's key, every request on one of tenant B's resources answers
/// exactly as it does for an id that exists nowhere (404, or 422 for a subject), and no list shows B's rows. Each tenant
/// holds one of every resource type, made the same way; a new resource type is one line in <see cref="s_byId"/> (and one in
/// <see cref="s_lists"/> when it can be listed), plus its creation in <see cref="SeedAsync"/>.</summary>
[Collection(AppCollection.Name)]
public sealed partial class IsolationTests(AppFixture app)
{
    /// <summary>A request on one resource: <c>{name}</c> in the path or body stands for that resource's id in the tenant
    /// whose resources are used. With another tenant's ids it must answer <paramref name="Status"/> and
    /// <paramref name="Code"/>, the answer for ids that exist nowhere.</summary>
    private sealed record ByIdCase(string Resource, string Method, string Path, string? Body = null, int Status = 404, string Code = "NOT_FOUND");

    /// <summary>A list, with <c>{name}</c> as in <see cref="ByIdCase"/> (the caller's own ids); <paramref name="ShowsOwn"/> when
    /// the caller's own rows are in it, which shows the list answers at all.</summary>
    private sealed record ListCase(string Resource, string Path, bool ShowsOwn = true);

    // Reads first: the writes after them change the owner's resources (finalize, then void, the invoice).
    private static readonly ByIdCase[] s_byId =
    [
        new("meter", "GET", "/v1/meters/{meter}"),
        new("customer", "GET", "/v1/customers/{customer}"),
        new("plan", "GET", "/v1/plans/{plan}"),
        new("plan's price book", "GET", "/v1/plans/{plan}/prices"),
        new("plan's versions", "GET", "/v1/plans/{plan}/versions"),
        new("subscription", "GET", "/v1/subscriptions/{subscription}"),
        new("subscription's usage", "GET", "/v1/subscriptions/{subscription}/usage?meter={meter}"),
        new("subscription's current usage", "GET", "/v1/subscriptions/{subscription}/usage/current"),
        new("quota", "GET", "/v1/subscriptions/{subscription}/quotas/{meter}"),
        new("subscription's quotas", "GET", "/v1/subscriptions/{subscription}/quotas"),
        new("invoice", "GET", "/v1/invoices/{invoice}"),
        new("billing run", "GET", "/v1/billing-runs/{run}"),
        new("re-rating job", "GET", "/v1/rerating-jobs/{job}"),
        new("subject's quota check", "GET", "/v1/quotas/check?subject={subject}&meter={meter}", Status: 422, Code: "UNKNOWN_SUBJECT"),
        new("price on the plan", "POST", "/v1/plans/{plan}/prices", """{"meter":"{meter}","model":"flat","properties":{"amount":"1"},"effective_from":"2090-01-01T00:00:00Z"}"""),
        new("quota", "PUT", "/v1/subscriptions/{subscription}/quotas/{meter}", """{"limit":"500","period":"none"}"""),
        new("credits", "PATCH", "/v1/subscriptions/{subscription}/quotas/{meter}", """{"increment":"1"}"""),
        new("subject's event", "POST", "/v1/events", """{"idempotency_key":"iso-{fresh}","subject":"{subject}","event_type":"{meter}","properties":{"tokens":1}}""", Status: 422, Code: "UNKNOWN_SUBJECT"),
        new("subject's consume", "POST", "/v1/quotas/consume", """{"subject":"{subject}","meter":"{meter}","amount":"1","idempotency_key":"iso-{fresh}"}""", Status: 422, Code: "UNKNOWN_SUBJECT"),
        new("subscription's invoice", "POST", "/v1/invoices", """{"subscription_id":"{subscription}"}"""),
        new("invoice refresh", "POST", "/v1/invoices/{invoice}/refresh"),
        new("invoice finalize", "POST", "/v1/invoices/{invoice}/finalize"),
        new("invoice void", "POST", "/v1/invoices/{invoice}/void"),
        new("signing key", "GET", "/v1/signing-keys/{signing_key}"),
        new("signing key revoke", "POST", "/v1/signing-keys/{signing_key}/revoke"),
        new("API key revoke", "DELETE", "/v1/api-keys/{api_key}"),
        new("OpenMeter meter", "GET", "/api/v1/meters/{meter}"),
        new("OpenMeter meter query", "GET", "/api/v1/meters/{meter}/query"),
        new("OpenMeter meter query by body", "POST", "/api/v1/meters/{meter}/query", "{}"),
        new("subject's CloudEvent", "POST", "/api/v1/events", """{"id":"iso-{fresh}","source":"iso","specversion":"1.0","type":"{meter}","subject":"{subject}","data":{"tokens":1}}""", Status: 422, Code: "UNKNOWN_SUBJECT"),
        new("Lago event on a subscription", "POST", "/lago/api/v1/events", """{"event":{"transaction_id":"iso-{fresh}","external_subscription_id":"{subscription}","code":"{meter}","properties":{"tokens":1}}}""", Code: "subscription_not_found"),
        new("Lago batch on a subscription", "POST", "/lago/api/v1/events/batch", """{"events":[{"transaction_id":"iso-{fresh}","external_subscription_id":"{subscription}","code":"{meter}","properties":{"tokens":1}}]}""", Status: 422, Code: "validation_errors"),
        new("Lago current usage", "GET", "/lago/api/v1/customers/{customer}/current_usage?external_subscription_id={subscription}", Code: "customer_not_found"),
        new("webhook endpoint", "GET", "/v1/webhook-endpoints/{webhook_endpoint}"),
        new("webhook endpoint update", "PATCH", "/v1/webhook-endpoints/{webhook_endpoint}", """{"description":"taken"}"""),
        new("webhook secret rotation", "POST", "/v1/webhook-endpoints/{webhook_endpoint}/rotate-secret"),
        new("webhook endpoint delete", "DELETE", "/v1/webhook-endpoints/{webhook_endpoint}"),
        new("subscription's dashboard view", "GET", "/v1/dashboard/subscriptions/{subscription}"),
        // The lifecycle writes last: they end the owner's subscription, free its subject and archive its meter.
        new("customer update", "PATCH", "/v1/customers/{customer}", """{"name":"taken over"}"""),
        new("customer delete", "DELETE", "/v1/customers/{customer}"),
        new("meter update", "PATCH", "/v1/meters/{meter}", """{"description":"taken over"}"""),
        new("subscription's new subject", "POST", "/v1/subscriptions/{subscription}/subjects", """{"subject":"agent:iso:extra:{fresh}"}"""),
        new("subscription's subject removal", "POST", "/v1/subscriptions/{subscription}/subjects/{subject}/remove", "{}"),
        new("subscription plan change", "POST", "/v1/subscriptions/{subscription}/change-plan", """{"plan":"{plan}","at":"period_end"}""", Status: 404),
        new("subscription cancel", "POST", "/v1/subscriptions/{subscription}/cancel", """{"at":"period_end"}"""),
        new("meter archive", "POST", "/v1/meters/{meter}/archive"),
        new("plan edit", "PATCH", "/v1/plans/{plan}", """{"fixed_fee":"3"}"""),
        new("plan migration", "POST", "/v1/plans/{plan}/migrate", "{}"),
    ];

    private static readonly ListCase[] s_lists =
    [
        new("meters", "/v1/meters"),
        new("invoices", "/v1/invoices"),
        new("invoices of the other tenant's subscription id", "/v1/invoices?subscription_id={other:subscription}", ShowsOwn: false),
        new("price book", "/v1/plans/{plan}/prices"),
        new("audit events", "/v1/audit-events"),
        new("audit events of one action", "/v1/audit-events?action=invoice.created"),
        new("signing keys", "/v1/signing-keys"),
        new("API keys", "/v1/api-keys"),
        new("customers", "/v1/customers"),
        new("plans", "/v1/plans"),
        new("subscriptions", "/v1/subscriptions"),
        new("subscriptions of the other tenant's customer id", "/v1/subscriptions?customer_id={other:customer}", ShowsOwn: false),
        new("subscriptions on the other tenant's plan", "/v1/subscriptions?plan={other:plan}", ShowsOwn: false),
        new("prices", "/v1/prices"),
        new("quotas", "/v1/quotas"),
        new("quotas of the other tenant's subscription id", "/v1/quotas?subscription_id={other:subscription}", ShowsOwn: false),
        new("invoices of the other tenant's customer id", "/v1/invoices?customer_id={other:customer}", ShowsOwn: false),
        new("billing runs", "/v1/billing-runs", ShowsOwn: false),
        new("re-rating jobs", "/v1/rerating-jobs"),
        new("OpenMeter meters", "/api/v1/meters"),
        new("webhook endpoints", "/v1/webhook-endpoints"),
        new("webhook deliveries of the other tenant's endpoint", "/v1/webhook-deliveries?endpoint_id={other:webhook_endpoint}", ShowsOwn: false),
        new("dashboard's hottest grains", "/v1/dashboard/grains"),
        new("dashboard's billing runs and re-rating jobs", "/v1/dashboard/jobs"),
    ];

    [Fact]
    public async Task Another_tenants_resources_answer_with_its_key_as_ids_that_exist_nowhere_and_with_their_own_key_as_found()
    {
        (Tenant a, Tenant b) = await TwoTenantsAsync();
        using HttpClient clientA = a.Client, clientB = b.Client;
        IReadOnlyDictionary<string, string> nowhere = Nowhere();
        var failures = new List<string>();
        foreach (ByIdCase c in s_byId)
        {
            (int status, string? code) = await SendAsync(a.Client, c, b.Ids);
            (int absentStatus, string? absentCode) = await SendAsync(a.Client, c, nowhere);
            (int ownerStatus, string? ownerCode) = await SendAsync(b.Client, c, b.Ids);
            if (status != c.Status || code != c.Code)
            {
                failures.Add($"{c.Method} {c.Path} ({c.Resource}) with the other tenant's ids: {status} {code}, not {c.Status} {c.Code}");
            }

            if ((absentStatus, absentCode) != (status, code))
            {
                failures.Add($"{c.Method} {c.Path} ({c.Resource}): {status} {code} for the other tenant's ids but {absentStatus} {absentCode} for ids that exist nowhere");
            }

            // The owner is answered otherwise, so the request did name the resource.
            if (ownerStatus == c.Status || ownerStatus >= 500)
            {
                failures.Add($"{c.Method} {c.Path} ({c.Resource}) with the owner's key: {ownerStatus} {ownerCode}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Lists_never_show_another_tenants_rows()
    {
        (Tenant a, Tenant b) = await TwoTenantsAsync();
        using HttpClient clientA = a.Client, clientB = b.Client;
        var failures = new List<string>();
        foreach (ListCase c in s_lists)
        {
            string path = Fill(c.Path, name => name.StartsWith("other:", StringComparison.Ordinal) ? b.Ids[name["other:".Length..]] : a.Ids[name]);
            HttpResponseMessage response = await a.Client.GetAsync(path);
            string body = await response.Content.ReadAsStringAsync();
            if ((int)response.StatusCode != 200)
            {
                failures.Add($"GET {path} ({c.Resource}): {(int)response.StatusCode} {body}");
                continue;
            }

            // Every id of the other tenant's rows holds its marker, but the server's ids (invoices, prices, runs, jobs).
            foreach (string leaked in b.Ids.Values.Where(id => body.Contains(id, StringComparison.Ordinal)).Append(body.Contains(b.Marker, StringComparison.Ordinal) ? b.Marker : null).OfType<string>())
            {
                failures.Add($"GET {path} ({c.Resource}) shows the other tenant's '{leaked}'");
            }

            if (c.ShowsOwn && !body.Contains(a.Marker, StringComparison.Ordinal))
            {
                failures.Add($"GET {path} ({c.Resource}) does not show the caller's own rows: {body}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private sealed record Tenant(HttpClient Client, string Marker, IReadOnlyDictionary<string, string> Ids);

    private async Task<(Tenant A, Tenant B)> TwoTenantsAsync()
    {
        HttpClient a = await app.NewTenantAsync();
        HttpClient b = await app.NewTenantAsync();
        string markerA = "a" + Guid.NewGuid().ToString("N")[..10];
        string markerB = "b" + Guid.NewGuid().ToString("N")[..10];
        return (new Tenant(a, markerA, await SeedAsync(a, markerA)), new Tenant(b, markerB, await SeedAsync(b, markerB)));
    }

    /// <summary>One of every resource type, each named with <paramref name="marker"/> (the server's ids are kept as given).</summary>
    private static async Task<IReadOnlyDictionary<string, string>> SeedAsync(HttpClient client, string marker)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset started = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(-1);
        var ids = new Dictionary<string, string>
        {
            ["meter"] = $"iso_{marker}_meter",
            ["customer"] = $"iso_{marker}_customer",
            ["plan"] = $"iso_{marker}_plan",
            ["subscription"] = $"iso_{marker}_subscription",
            ["subject"] = $"agent:iso:{marker}",
        };

        async Task<JsonElement> Create(string path, string json, int status = 201)
        {
            (int actual, JsonElement body) = await client.PostRawAsync(path, Fill(json, name => ids[name]));
            Assert.True(actual == status, $"POST {path}: {actual} {body}");
            return body;
        }

        await Create("/v1/meters", """{"code":"{meter}","event_type":"{meter}","aggregation":"sum","value_property":"tokens"}""");
        await Create("/v1/customers", """{"id":"{customer}","name":"Isolated","currency":"USD","tax_rate":"0.10"}""");
        await Create("/v1/plans", """{"code":"{plan}","currency":"USD","interval":"month","fixed_fee":"10.00"}""");
        ids["price"] = (await Create($"/v1/plans/{ids["plan"]}/prices", $$"""{"meter":"{meter}","model":"per_unit","properties":{"unit_price":"0.01"},"effective_from":"{{Iso(started.AddYears(-1))}}"}""")).Str("id");
        await Create("/v1/subscriptions", $$"""{"id":"{subscription}","customer_id":"{customer}","plan":"{plan}","started_at":"{{Iso(started)}}","subjects":["{subject}"]}""");
        HttpResponseMessage quota = await client.PutAsync($"/v1/subscriptions/{ids["subscription"]}/quotas/{ids["meter"]}",
            new StringContent("""{"limit":"1000","period":"none"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)quota.StatusCode);
        await Create("/v1/events", $$$"""{"idempotency_key":"iso-seed-{{{marker}}}","subject":"{subject}","event_type":"{meter}","properties":{"tokens":7}}""");
        ids["invoice"] = (await Create("/v1/invoices", $$"""{"subscription_id":"{subscription}","period_start":"{{Iso(started)}}"}""")).Str("id");
        ids["run"] = (await Create("/v1/billing-runs", $$"""{"period_end_before":"{{Iso(now)}}"}""", 202)).Str("id");
        ids["job"] = (await Create("/v1/rerating-jobs", $$"""{"customer_ids":["{customer}"],"from":"{{Iso(started)}}","to":"{{Iso(now)}}"}""", 202)).Str("id");
        ids["signing_key"] = (await Create("/v1/signing-keys", $$$"""{"id":"iso_{{{marker}}}_signing","algorithm":"hmac-sha256","subjects":["{subject}"]}""")).Str("id");
        ids["api_key"] = (await Create("/v1/api-keys", $$$"""{"scopes":["read"],"description":"iso {{{marker}}}"}""")).Str("id");
        ids["webhook_endpoint"] = (await Create("/v1/webhook-endpoints", $$$"""{"url":"https://203.0.113.10/{{{marker}}}","events":["credits.low"]}""")).GetProperty("endpoint").Str("id");
        return ids;
    }

    /// <summary>Ids of every kind that no tenant has.</summary>
    private static Dictionary<string, string> Nowhere()
    {
        string marker = "z" + Guid.NewGuid().ToString("N")[..10];
        return new Dictionary<string, string>
        {
            ["meter"] = $"iso_{marker}_meter",
            ["customer"] = $"iso_{marker}_customer",
            ["plan"] = $"iso_{marker}_plan",
            ["subscription"] = $"iso_{marker}_subscription",
            ["subject"] = $"agent:iso:{marker}",
            ["price"] = Guid.NewGuid().ToString(),
            ["invoice"] = Guid.NewGuid().ToString(),
            ["run"] = Guid.NewGuid().ToString(),
            ["job"] = Guid.NewGuid().ToString(),
            ["signing_key"] = $"iso_{marker}_signing",
            ["api_key"] = Guid.NewGuid().ToString(),
            ["webhook_endpoint"] = Guid.NewGuid().ToString(),
        };
    }

    private static async Task<(int Status, string? Code)> SendAsync(HttpClient client, ByIdCase c, IReadOnlyDictionary<string, string> ids)
    {
        string fresh = Guid.NewGuid().ToString("N");
        string Value(string name) => name == "fresh" ? fresh : ids[name];
        using var request = new HttpRequestMessage(new HttpMethod(c.Method), Fill(c.Path, name => Uri.EscapeDataString(Value(name))));
        if (c.Body is not null)
        {
            request.Content = new StringContent(Fill(c.Body, Value), System.Text.Encoding.UTF8, "application/json");
        }

        using HttpResponseMessage response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        JsonElement body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement;
        string? code = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("code", out JsonElement c2) ? c2.GetString() : null;
        return ((int)response.StatusCode, code);
    }

    private static string Fill(string template, Func<string, string> value) => Placeholder().Replace(template, m => value(m.Groups[1].Value));

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\{([a-z_:]+)\}")]
    private static partial Regex Placeholder();
}
