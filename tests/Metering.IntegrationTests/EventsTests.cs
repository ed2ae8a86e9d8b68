using System.Net.Http.Json;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
using Metering.Silo.Events;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Metering.IntegrationTests;

[Collection(AppCollection.Name)]
public sealed class EventsTests(AppFixture app)
{
    private static readonly object s_tokens = new { code = "llm_tokens", event_type = "llm_tokens", aggregation = "sum", value_property = "tokens", group_by = new[] { "model" } };

    private static object Event(string key, string subject, int tokens = 1500, string? timestamp = null, object? properties = null)
        => new { idempotency_key = key, subject, event_type = "llm_tokens", timestamp, properties = properties ?? new { tokens, model = "gpt-4" } };

    private async Task<long> StoredCountAsync(string key)
    {
        await using NpgsqlConnection db = await app.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM events WHERE idempotency_key = $1", db);
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task An_event_is_created_once_then_duplicate_then_key_reused_and_the_stored_event_never_changes()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_tokens);
        string key = "k-" + Guid.NewGuid();

        (int created, JsonElement first) = await client.PostAsync("/v1/events", Event(key, subject));
        Assert.Equal(201, created);
        Assert.Equal("created", first.Str("status"));
        string eventId = first.Str("event_id");

        (int dup, JsonElement duplicate) = await client.PostAsync("/v1/events", Event(key, subject));
        Assert.Equal(409, dup);
        Assert.Equal("DUPLICATE_EVENT", duplicate.Code());
        Assert.Equal(eventId, duplicate.Str("event_id"));

        (int reused, JsonElement reuse) = await client.PostAsync("/v1/events", Event(key, subject, tokens: 9999));
        Assert.Equal(422, reused);
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", reuse.Code());

        Assert.Equal(1, await StoredCountAsync(key));
        (_, JsonElement usage) = await client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=llm_tokens");
        Assert.Equal("1500", usage.Str("value"));
        Assert.Equal(1, usage.GetProperty("events").GetInt32());
    }

    [Fact]
    public async Task A_retry_of_a_key_just_stored_is_settled_by_the_grain_while_the_log_is_locked()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_tokens);
        string key = "recent-" + Guid.NewGuid();
        (int created, JsonElement first) = await client.PostAsync("/v1/events", Event(key, subject));
        Assert.Equal(201, created);

        // Nothing can read the events table now: an answer can only come from the subscription grain's recent keys.
        await using NpgsqlConnection db = await app.OpenDatabaseAsync();
        await using NpgsqlTransaction locked = await db.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("LOCK TABLE events IN ACCESS EXCLUSIVE MODE", db, locked))
        {
            await command.ExecuteNonQueryAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using HttpResponseMessage dup = await client.PostAsJsonAsync("/v1/events", Event(key, subject), timeout.Token);
        JsonElement duplicate = await dup.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
        Assert.Equal(409, (int)dup.StatusCode);
        Assert.Equal("DUPLICATE_EVENT", duplicate.Code());
        Assert.Equal(first.Str("event_id"), duplicate.Str("event_id"));
        using HttpResponseMessage reused = await client.PostAsJsonAsync("/v1/events", Event(key, subject, tokens: 7), timeout.Token);
        Assert.Equal(422, (int)reused.StatusCode);
        await locked.RollbackAsync();

        Assert.Equal(1, await StoredCountAsync(key));
    }

    [Fact]
    public async Task Idempotency_keys_are_unique_per_tenant_not_globally()
    {
        using HttpClient a = await app.NewTenantAsync();
        using HttpClient b = await app.NewTenantAsync();
        string subjectA = await a.SetUpSubscriptionAsync("sub_1", s_tokens);
        string subjectB = await b.SetUpSubscriptionAsync("sub_1", s_tokens);
        string key = "shared-" + Guid.NewGuid();
        Assert.Equal(201, (await a.PostAsync("/v1/events", Event(key, subjectA))).Status);
        Assert.Equal(201, (await b.PostAsync("/v1/events", Event(key, subjectB))).Status);
    }

    [Fact]
    public async Task Same_key_on_two_subscriptions_of_one_tenant_is_still_one_event()
    {
        using HttpClient client = await app.NewTenantAsync();
        string s1 = await client.SetUpSubscriptionAsync("sub_1", s_tokens);
        string s2 = await client.SetUpSubscriptionAsync("sub_2");
        string key = "cross-" + Guid.NewGuid();
        Assert.Equal(201, (await client.PostAsync("/v1/events", Event(key, s1))).Status);
        (int status, JsonElement body) = await client.PostAsync("/v1/events", Event(key, s2));
        Assert.Equal(422, status); // a different subject is a different payload
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", body.Code());
    }

    [Fact]
    public async Task Concurrent_duplicates_resolve_to_exactly_one_created()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_tokens);
        string key = "race-" + Guid.NewGuid();
        (int Status, JsonElement Body)[] answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => client.PostAsync("/v1/events", Event(key, subject))));

        Assert.Single(answers, a => a.Status == 201);
        Assert.Equal(39, answers.Count(a => a.Status == 409 && a.Body.Code() == "DUPLICATE_EVENT"));
        string id = answers.Single(a => a.Status == 201).Body.Str("event_id");
        Assert.All(answers, a => Assert.Equal(id, a.Body.Str("event_id")));
        Assert.Equal(1, await StoredCountAsync(key));
        (_, JsonElement usage) = await client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=llm_tokens");
        Assert.Equal("1500", usage.Str("value"));
    }

    [Fact]
    public async Task Concurrent_duplicates_inside_batches_resolve_to_exactly_one_created()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_tokens);
        string key = "race-batch-" + Guid.NewGuid();
        var batch = new { events = new[] { Event(key, subject), Event(key, subject) } };
        (int Status, JsonElement Body)[] answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.PostAsync("/v1/events/batch", batch)));
        Assert.Equal(1, answers.Sum(a => a.Body.GetProperty("succeeded").GetInt32()));
        Assert.Equal(19, answers.Sum(a => a.Body.GetProperty("failed").GetInt32()));
        Assert.Equal(1, await StoredCountAsync(key));
    }

    public static TheoryData<string, int, string> InvalidEvents => new()
    {
        { """{"subject":"s","event_type":"e"}""", 400, "INVALID_REQUEST" },
        { """{"idempotency_key":"","subject":"s","event_type":"e"}""", 400, "INVALID_REQUEST" },
        { """{"idempotency_key":"k","subject":"s","event_type":"Bad Type"}""", 400, "INVALID_REQUEST" },
        { """{"idempotency_key":"k","subject":"s","event_type":"e","properties":[1]}""", 400, "INVALID_REQUEST" },
        { """{"idempotency_key":"k","subject":"s","event_type":"e","timestamp":"yesterday"}""", 400, "INVALID_REQUEST" },
        { """{"idempotency_key":"k","subject":"s","event_type":"e","properties":{"a":{"b":{"c":{"d":1}}}}}""", 400, "PROPERTIES_TOO_DEEP" },
        { """{"idempotency_key":"k","subject":"s","event_type":"e","properties":{"a":[[[1]]]}}""", 400, "PROPERTIES_TOO_DEEP" },
        { """{"idempotency_key":"k","subject":"nobody","event_type":"e","properties":{"a":{"b":{"c":1}}}}""", 422, "UNKNOWN_SUBJECT" },
        { "{not json", 400, "INVALID_REQUEST" },
    };

    [Theory]
    [MemberData(nameof(InvalidEvents))]
    public async Task Invalid_events_get_the_documented_code(string json, int status, string code)
    {
        using HttpClient client = await app.NewTenantAsync();
        (int actual, JsonElement body) = await client.PostRawAsync("/v1/events", json);
        Assert.Equal(status, actual);
        Assert.Equal(code, body.Code());
        Assert.Equal(status, body.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData(6 * 60, "TIMESTAMP_SKEW")]
    [InlineData(-36 * 24 * 60, "TIMESTAMP_TOO_OLD")]
    public async Task Timestamps_too_far_ahead_or_behind_server_time_are_refused(int minutes, string code)
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_tokens);
        string ts = DateTimeOffset.UtcNow.AddMinutes(minutes).ToString("yyyy-MM-ddTHH:mm:ssZ");
        (int status, JsonElement body) = await client.PostAsync("/v1/events", Event("k", subject, timestamp: ts));
        Assert.Equal(400, status);
        Assert.Equal(code, body.Code());
        Assert.True(body.GetProperty("errors").TryGetProperty("timestamp", out _));
        // Just inside both limits is accepted.
        string ok = DateTimeOffset.UtcNow.AddMinutes(minutes > 0 ? 4 : -34 * 24 * 60).ToString("yyyy-MM-ddTHH:mm:ssZ");
        Assert.Equal(201, (await client.PostAsync("/v1/events", Event("k2", subject, timestamp: ok))).Status);
    }

    [Fact]
    public async Task Properties_over_8_KiB_and_bodies_over_5_MiB_are_too_large()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_tokens);
        (int status, JsonElement body) = await client.PostAsync("/v1/events", Event("big", subject, properties: new { blob = new string('x', 8200) }));
        Assert.Equal(413, status);
        Assert.Equal("PAYLOAD_TOO_LARGE", body.Code());

        string huge = "{\"events\":[" + string.Join(",", Enumerable.Range(0, 700).Select(i => JsonSerializer.Serialize(Event($"h{i}", subject, properties: new { blob = new string('y', 8000) })))) + "]}";
        // Expect: 100-continue lets the server refuse by Content-Length before the client sends the body.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events/batch") { Content = new StringContent(huge, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        HttpResponseMessage response = await client.SendAsync(request);
        int hugeStatus = (int)response.StatusCode;
        JsonElement hugeBody = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(413, hugeStatus);
        Assert.Equal("PAYLOAD_TOO_LARGE", hugeBody.Code());
        Assert.Equal(0, await StoredCountAsync("h0"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public async Task Batches_of_no_events_or_over_1000_are_refused(int count)
    {
        using HttpClient client = await app.NewTenantAsync();
        var events = Enumerable.Range(0, count).Select(i => Event($"b{i}", "s")).ToArray();
        (int status, JsonElement body) = await client.PostAsync("/v1/events/batch", new { events });
        Assert.Equal(400, status);
        Assert.Equal("TOO_MANY_EVENTS", body.Code());
    }

    [Fact]
    public async Task A_batch_judges_each_event_alone_and_a_bad_one_never_blocks_the_others()
    {
        using HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", s_tokens);
        Assert.Equal(201, (await client.PostAsync("/v1/events", Event("seen", subject))).Status);
        var events = new object[]
        {
            Event("b-ok-1", subject, 10),
            Event("seen", subject),
            Event("b-skew", subject, timestamp: DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ")),
            new { idempotency_key = "b-nobody", subject = "nobody", event_type = "llm_tokens" },
            Event("seen", subject, 1),
            new { subject },
            Event("b-ok-2", subject, 20),
        };
        (int status, JsonElement body) = await client.PostAsync("/v1/events/batch", new { events });
        Assert.Equal(207, status);
        Assert.Equal(2, body.GetProperty("succeeded").GetInt32());
        Assert.Equal(5, body.GetProperty("failed").GetInt32());
        JsonElement[] results = body.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal([201, 409, 400, 422, 422, 400, 201], results.Select(r => r.GetProperty("status").GetInt32()));
        Assert.Equal([null, "DUPLICATE_EVENT", "TIMESTAMP_SKEW", "UNKNOWN_SUBJECT", "IDEMPOTENCY_KEY_REUSED", "INVALID_REQUEST", null],
            results.Select(r => r.TryGetProperty("code", out JsonElement c) ? c.GetString() : null));
        Assert.Equal(Enumerable.Range(0, 7), results.Select(r => r.GetProperty("index").GetInt32()));
        (_, JsonElement usage) = await client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=llm_tokens");
        Assert.Equal("1530", usage.Str("value"));
    }

    [Fact]
    public async Task Events_from_many_requests_share_group_commits()
    {
        using HttpClient client = await app.NewTenantAsync();
        string[] subjects = new string[8];
        for (int i = 0; i < subjects.Length; i++)
        {
            subjects[i] = await client.SetUpSubscriptionAsync($"sub_{i}", i == 0 ? s_tokens : null);
        }

        PostgresEventLog log = app.Services.GetRequiredService<PostgresEventLog>();
        long commitsBefore = log.Commits;
        long eventsBefore = log.EventsWritten;
        (int Status, JsonElement Body)[] answers = await Task.WhenAll(Enumerable.Range(0, 400)
            .Select(i => client.PostAsync("/v1/events", Event($"gc-{i}", subjects[i % subjects.Length], 1))));
        Assert.All(answers, a => Assert.Equal(201, a.Status));
        long commits = log.Commits - commitsBefore;
        long events = log.EventsWritten - eventsBefore;
        Assert.True(events >= 400, $"{events} events written");
        Assert.True(commits < events, $"{events} events took {commits} commits: no grouping happened");
    }
}
