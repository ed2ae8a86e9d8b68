using System.Text.Json;
using Metering.Gateway.RateLimits;
using Metering.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.IntegrationTests;

/// <summary>Rate limits per API key over HTTP, on the fixture's access clock: it moves only when a test moves it, so the
/// buckets here refill exactly when told.</summary>
[Collection(AppCollection.Name)]
public sealed class RateLimitTests(AppFixture app)
{
    [Fact]
    public async Task Past_its_burst_a_key_gets_429_with_retry_after_until_tokens_come_back()
    {
        (string subject, HttpClient owner, HttpClient ingest) = await TenantWithStrictLimitAsync();
        using (owner)
        using (ingest)
        {
            for (int i = 1; i <= 3; i++)
            {
                (int status, _, HttpResponseMessage ok) = await ingest.SendJsonAsync(HttpMethod.Post, "/v1/events", Event(subject, $"k{i}"));
                Assert.Equal(201, status);
                Assert.Equal(("3", (3 - i).ToString(), i.ToString()), RateLimitHeaders(ok));
            }

            (int refused, JsonElement problem, HttpResponseMessage response) = await ingest.SendJsonAsync(HttpMethod.Post, "/v1/events", Event(subject, "k4"));
            Assert.Equal(429, refused);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal("RATE_LIMITED", problem.Code());
            Assert.Equal(429, problem.GetProperty("status").GetInt32());
            Assert.Equal("1", Assert.Single(response.Headers.GetValues("Retry-After")));
            Assert.Equal(("3", "0", "3"), RateLimitHeaders(response));

            app.AccessClock.Advance(TimeSpan.FromSeconds(1));
            // The refused event was not recorded: the same idempotency key is new now.
            Assert.Equal(201, (await ingest.PostAsync("/v1/events", Event(subject, "k4"))).Status);
            Assert.Equal(429, (await ingest.PostAsync("/v1/events", Event(subject, "k5"))).Status);

            (_, JsonElement usage) = await owner.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=calls");
            Assert.Equal(4, usage.GetProperty("events").GetInt32());
        }
    }

    [Fact]
    public async Task Each_key_has_its_own_bucket_and_answers_carry_the_headers()
    {
        (string subject, HttpClient owner, HttpClient first) = await TenantWithStrictLimitAsync();
        using (owner)
        using (first)
        {
            (int created, JsonElement key) = await owner.PostAsync("/v1/api-keys", new { scopes = new[] { "ingest" } });
            Assert.Equal(201, created);
            using HttpClient second = app.Client(key.Str("key"));
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(201, (await first.PostAsync("/v1/events", Event(subject, $"a{i}"))).Status);
            }

            Assert.Equal(429, (await first.PostAsync("/v1/events", Event(subject, "a3"))).Status);
            (int status, _, HttpResponseMessage response) = await second.SendJsonAsync(HttpMethod.Post, "/v1/events", Event(subject, "b0"));
            Assert.Equal(201, status);
            Assert.Equal(("3", "2", "1"), RateLimitHeaders(response));
        }
    }

    [Fact]
    public async Task Refusals_are_audited_as_one_entry_per_key_with_their_count()
    {
        (string subject, HttpClient owner, HttpClient ingest) = await TenantWithStrictLimitAsync();
        using (owner)
        using (ingest)
        {
            int refusals = 0;
            for (int i = 0; i < 8; i++)
            {
                refusals += (await ingest.PostAsync("/v1/events", Event(subject, $"k{i}"))).Status == 429 ? 1 : 0;
            }

            Assert.Equal(5, refusals);
            app.Services.GetRequiredService<RateLimitRejections>().Summarize();
            app.Services.GetRequiredService<RateLimitRejections>().Summarize();

            JsonElement[] entries = (await owner.GetJsonAsync("/v1/audit-events?action=rate_limit.exceeded")).Body.GetProperty("data").EnumerateArray().ToArray();
            // One summary holds all five, unless the once-a-minute summary ran in between and split them in two.
            Assert.InRange(entries.Length, 1, 2);
            Assert.Equal(5, entries.Sum(e => e.GetProperty("details").GetProperty("rejected").GetInt32()));
            Assert.All(entries, e =>
            {
                Assert.Equal(3, e.GetProperty("details").GetProperty("burst").GetInt32());
                Assert.StartsWith("api_key:mk_", e.Str("actor"), StringComparison.Ordinal);
            });
        }
    }

    [Fact]
    public async Task The_limit_is_the_configured_default_until_the_tenant_sets_its_own()
    {
        using HttpClient owner = await app.NewTenantAsync();
        (int status, JsonElement limit, HttpResponseMessage response) = await owner.SendJsonAsync(HttpMethod.Get, "/v1/settings/rate-limit");
        Assert.Equal(200, status);
        Assert.Equal("default", limit.Str("source"));
        Assert.Equal(1000, limit.GetProperty("requests_per_second").GetDouble());
        Assert.Equal(1000000, limit.GetProperty("burst").GetInt32());
        Assert.Equal("1000000", Assert.Single(response.Headers.GetValues("x-ratelimit-limit")));

        (int put, JsonElement set, _) = await owner.SendJsonAsync(HttpMethod.Put, "/v1/settings/rate-limit", new { requests_per_second = "0.5", burst = 50 });
        Assert.Equal(200, put);
        Assert.Equal("tenant", set.Str("source"));
        (_, JsonElement read) = await owner.GetJsonAsync("/v1/settings/rate-limit");
        Assert.Equal((0.5, 50, "tenant"), (read.GetProperty("requests_per_second").GetDouble(), read.GetProperty("burst").GetInt32(), read.Str("source")));

        JsonElement audited = Assert.Single((await owner.GetJsonAsync("/v1/audit-events?action=rate_limit.updated")).Body.GetProperty("data").EnumerateArray());
        Assert.Equal(50, audited.GetProperty("details").GetProperty("burst").GetInt32());
    }

    [Theory]
    [InlineData("""{"requests_per_second":0,"burst":10}""", "requests_per_second")]
    [InlineData("""{"requests_per_second":"fast","burst":10}""", "requests_per_second")]
    [InlineData("""{"requests_per_second":2000000,"burst":10}""", "requests_per_second")]
    [InlineData("""{"requests_per_second":10,"burst":1.5}""", "burst")]
    [InlineData("""{"requests_per_second":10,"burst":0}""", "burst")]
    [InlineData("""{"requests_per_second":10}""", "burst")]
    public async Task A_limit_outside_the_bounds_is_400_naming_the_field(string json, string field)
    {
        using HttpClient owner = await app.NewTenantAsync();
        (int status, JsonElement body, _) = await owner.SendJsonAsync(HttpMethod.Put, "/v1/settings/rate-limit", JsonDocument.Parse(json).RootElement);
        Assert.Equal(400, status);
        Assert.Equal("INVALID_REQUEST", body.Code());
        Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), body.ToString());
        Assert.Equal("default", (await owner.GetJsonAsync("/v1/settings/rate-limit")).Body.Str("source"));
    }

    /// <summary>A tenant limited to 1 request a second with a burst of 3 per key, a subscription, and a fresh ingest key.</summary>
    private async Task<(string Subject, HttpClient Owner, HttpClient Ingest)> TenantWithStrictLimitAsync()
    {
        (_, _, HttpClient owner) = await app.NewTenantWithKeyAsync();
        string subject = await owner.SetUpSubscriptionAsync("sub_1", new { code = "calls", event_type = "call", aggregation = "count" });
        (int created, JsonElement key) = await owner.PostAsync("/v1/api-keys", new { scopes = new[] { "ingest" } });
        Assert.Equal(201, created);
        (int status, JsonElement body, _) = await owner.SendJsonAsync(HttpMethod.Put, "/v1/settings/rate-limit", new { requests_per_second = 1, burst = 3 });
        Assert.True(status == 200, body.ToString());
        // The owner's bucket is capped at 3 from its next request too, enough for what the tests ask of it afterwards.
        return (subject, owner, app.Client(key.Str("key")));
    }

    private static object Event(string subject, string key) => new { idempotency_key = key, subject, event_type = "call" };

    private static (string Limit, string Remaining, string Reset) RateLimitHeaders(HttpResponseMessage response)
        => (Single(response, "x-ratelimit-limit"), Single(response, "x-ratelimit-remaining"), Single(response, "x-ratelimit-reset"));

    private static string Single(HttpResponseMessage response, string header) => Assert.Single(response.Headers.GetValues(header));
}
