using System.Globalization;
using System.Text.Json;
using Metering.Grains.Subscriptions;
using Metering.IntegrationTests.Infrastructure;
using Metering.Runtime;
using Metering.Silo.Usage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Metering.IntegrationTests;

[Collection(AppCollection.Name)]
public sealed class UsageTests(AppFixture app)
{
    private static string Hour(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:00:00Z");

    private static readonly DateTimeOffset s_now = DateTimeOffset.UtcNow;

    /// <summary>Ten events of 1,500 tokens across two models and two hours, plus one of another type, one without tokens.</summary>
    private async Task<(HttpClient Client, DateTimeOffset H1, DateTimeOffset H2)> SeedAsync(string subscriptionStart)
    {
        HttpClient client = await app.NewTenantAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_1", new { code = "llm_tokens", event_type = "llm_tokens", aggregation = "sum", value_property = "usage.tokens", group_by = new[] { "model" } }, subscriptionStart);
        foreach (object meter in new object[]
        {
            new { code = "calls", event_type = "llm_tokens", aggregation = "count" },
            new { code = "users", event_type = "llm_tokens", aggregation = "unique_count", value_property = "user" },
            new { code = "peak", event_type = "llm_tokens", aggregation = "max", value_property = "usage.tokens" },
            new { code = "low", event_type = "llm_tokens", aggregation = "min", value_property = "usage.tokens" },
            new { code = "last", event_type = "llm_tokens", aggregation = "latest", value_property = "usage.tokens" },
        })
        {
            Assert.Equal(201, (await client.PostAsync("/v1/meters", meter)).Status);
        }

        DateTimeOffset h2 = new DateTimeOffset(s_now.Year, s_now.Month, s_now.Day, s_now.Hour, 0, 0, TimeSpan.Zero).AddHours(-1);
        DateTimeOffset h1 = h2.AddHours(-1);
        var events = new List<object>();
        for (int i = 0; i < 10; i++)
        {
            DateTimeOffset ts = (i < 6 ? h1 : h2).AddMinutes(i);
            events.Add(new
            {
                idempotency_key = $"e{i}",
                subject,
                event_type = "llm_tokens",
                timestamp = ts.ToString("yyyy-MM-ddTHH:mm:ssZ"),
                properties = new { usage = new { tokens = i == 9 ? 3000 : 1000 + (i * 100) }, model = i % 2 == 0 ? "gpt-4" : "claude", user = $"u{i % 3}" },
            });
        }

        events.Add(new { idempotency_key = "other", subject, event_type = "other_type", properties = new { usage = new { tokens = 5 } } });
        events.Add(new { idempotency_key = "no-tokens", subject, event_type = "llm_tokens", timestamp = h2.ToString("yyyy-MM-ddTHH:mm:ssZ"), properties = new { model = "gpt-4" } });
        (int status, JsonElement body) = await client.PostAsync("/v1/events/batch", new { events });
        Assert.Equal(207, status);
        Assert.Equal(12, body.GetProperty("succeeded").GetInt32());
        return (client, h1, h2);
    }

    // Tokens: 1000,1100,...,1800 for i=0..8 and 3000 for i=9: sum 1000*9 + 100*36 + 3000 = 15600.
    [Theory]
    [InlineData("llm_tokens", "15600", 10)]
    [InlineData("calls", "11", 11)]
    [InlineData("users", "3", 10)]
    [InlineData("peak", "3000", 10)]
    [InlineData("low", "1000", 10)]
    [InlineData("last", "3000", 10)]
    public async Task Usage_of_each_aggregation_over_the_current_period(string meter, string value, int events)
    {
        (HttpClient client, _, _) = await SeedAsync(Hour(s_now.AddDays(-2)));
        using (client)
        {
            (int status, JsonElement usage) = await client.GetJsonAsync($"/v1/subscriptions/sub_1/usage?meter={meter}");
            Assert.Equal(200, status);
            Assert.Equal(value, usage.Str("value"));
            Assert.Equal(events, usage.GetProperty("events").GetInt32());
        }
    }

    [Fact]
    public async Task Hourly_and_daily_windows_with_groups()
    {
        (HttpClient client, DateTimeOffset h1, DateTimeOffset h2) = await SeedAsync(Hour(s_now.AddDays(-2)));
        using (client)
        {
            (_, JsonElement hourly) = await client.GetJsonAsync($"/v1/subscriptions/sub_1/usage?meter=llm_tokens&window=hour&group_by=model&from={Hour(h1)}&to={Hour(h2.AddHours(1))}");
            JsonElement[] windows = hourly.GetProperty("windows").EnumerateArray().ToArray();
            Assert.Equal(2, windows.Length);
            Assert.Equal(Hour(h1), windows[0].Str("start"));
            Assert.Equal("7500", windows[0].Str("value")); // 1000..1500
            Assert.Equal("3600", windows[0].GetProperty("groups").GetProperty("model").Str("gpt-4")); // i = 0, 2, 4
            Assert.Equal("8100", windows[1].Str("value")); // 1600,1700,1800,3000
            Assert.Equal("15600", hourly.Str("value"));
            JsonElement models = hourly.GetProperty("groups").GetProperty("model");
            Assert.Equal("7000", models.Str("gpt-4")); // 1000,1200,1400,1600,1800
            Assert.Equal("8600", models.Str("claude")); // 1100,1300,1500,1700,3000

            (_, JsonElement daily) = await client.GetJsonAsync($"/v1/subscriptions/sub_1/usage?meter=calls&window=day");
            Assert.Equal(11, daily.GetProperty("windows").EnumerateArray().Sum(w => w.GetProperty("events").GetInt32()));

            (int bad, JsonElement badBody) = await client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=llm_tokens&group_by=region");
            Assert.Equal(400, bad);
            Assert.Equal("INVALID_REQUEST", badBody.Code());
            Assert.Equal(400, (await client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=llm_tokens&window=week")).Status);
            // Any whole minute is a bound (read from the event log); a second within a minute is not.
            Assert.Equal(400, (await client.GetJsonAsync($"/v1/subscriptions/sub_1/usage?meter=llm_tokens&from={h1.AddSeconds(30):yyyy-MM-ddTHH:mm:ssZ}")).Status);
            (int minuteStatus, JsonElement byMinute) = await client.GetJsonAsync($"/v1/subscriptions/sub_1/usage?meter=llm_tokens&window=minute&from={Hour(h1)}&to={Hour(h2.AddHours(1))}");
            Assert.Equal(200, minuteStatus);
            Assert.Equal("15600", byMinute.Str("value"));
            Assert.All(byMinute.GetProperty("windows").EnumerateArray(), w => Assert.Equal(60, (DateTimeOffset.Parse(w.Str("end"), CultureInfo.InvariantCulture) - DateTimeOffset.Parse(w.Str("start"), CultureInfo.InvariantCulture)).TotalSeconds));
            Assert.Equal(404, (await client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=nope")).Status);
            Assert.Equal(404, (await client.GetJsonAsync("/v1/subscriptions/nope/usage?meter=calls")).Status);
        }
    }

    [Fact]
    public async Task Current_usage_lists_every_meter()
    {
        (HttpClient client, _, _) = await SeedAsync(Hour(s_now.AddDays(-2)));
        using (client)
        {
            (int status, JsonElement current) = await client.GetJsonAsync("/v1/subscriptions/sub_1/usage/current");
            Assert.Equal(200, status);
            Dictionary<string, string?> values = current.GetProperty("meters").EnumerateArray().ToDictionary(m => m.Str("meter"), m => m.GetProperty("value").GetString());
            Assert.Equal("15600", values["llm_tokens"]);
            Assert.Equal("11", values["calls"]);
            Assert.Equal(6, values.Count);
        }
    }

    [Fact]
    public async Task Ranges_before_the_held_period_come_from_rollups_and_events_and_agree_with_the_grain()
    {
        // The subscription started within the last hour, so the grain holds only the current period, after the seeded events.
        (HttpClient client, DateTimeOffset h1, DateTimeOffset h2) = await SeedAsync(Hour(s_now));
        using (client)
        {
            string range = $"from={Hour(h1)}&to={Hour(h2.AddHours(2))}&window=hour&group_by=model";
            (_, JsonElement beforeRollup) = await client.GetJsonAsync($"/v1/subscriptions/sub_1/usage?meter=llm_tokens&{range}");
            Assert.Equal("15600", beforeRollup.Str("value"));

            RollupJob rollups = app.Services.GetRequiredService<RollupJob>();
            Assert.True(await rollups.RollUpAsync() >= 11);
            await using (NpgsqlConnection db = await app.OpenDatabaseAsync())
            await using (var command = new NpgsqlCommand("SELECT count(*) FROM usage_rollups WHERE subscription_id = 'sub_1' AND meter_code = 'llm_tokens'", db))
            {
                Assert.True((long)(await command.ExecuteScalarAsync())! >= 4); // two hours × two models, at least (other tests' tenants too)
            }

            (_, JsonElement afterRollup) = await client.GetJsonAsync($"/v1/subscriptions/sub_1/usage?meter=llm_tokens&{range}");
            Assert.Equal(beforeRollup.ToString(), afterRollup.ToString());
            foreach (string meter in new[] { "users", "peak", "low", "last", "calls" })
            {
                (_, JsonElement u) = await client.GetJsonAsync($"/v1/subscriptions/sub_1/usage?meter={meter}&from={Hour(h1)}&to={Hour(h2.AddHours(2))}");
                Assert.Equal(meter switch { "users" => "3", "peak" => "3000", "low" => "1000", "last" => "3000", _ => "11" }, u.Str("value"));
            }
        }
    }

    [Fact]
    public async Task A_grain_reactivates_from_its_snapshot_plus_the_events_after_it()
    {
        (HttpClient client, DateTimeOffset _, DateTimeOffset h2) = await SeedAsync(Hour(s_now.AddDays(-2)));
        using (client)
        {
            string tenant = await app.TenantOfAsync(client);
            IGrainFactory grains = app.Services.GetRequiredService<IGrainFactory>();
            await grains.GetGrain<ISubscriptionGrain>(SubscriptionKey.Of(tenant, "sub_1")).SnapshotAsync();

            // Events written after the snapshot, then the activation goes away without another snapshot being taken for them.
            (_, JsonElement sub) = await client.GetJsonAsync("/v1/subscriptions/sub_1");
            string subject = sub.GetProperty("subjects")[0].GetString()!;
            Assert.Equal(201, (await client.PostAsync("/v1/events", new { idempotency_key = "after", subject, event_type = "llm_tokens", timestamp = h2.ToString("yyyy-MM-ddTHH:mm:ssZ"), properties = new { usage = new { tokens = 400 }, model = "gpt-4" } })).Status);
            await using (NpgsqlConnection db = await app.OpenDatabaseAsync())
            await using (var command = new NpgsqlCommand("SELECT version FROM grain_state WHERE state_name = 'subscription' AND grain_key = $1", db))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = SubscriptionKey.Of(tenant, "sub_1") });
                Assert.NotNull(await command.ExecuteScalarAsync());
            }

            Metering.Runtime.Silo silo = app.Services.GetRequiredService<Metering.Runtime.Silo>();
            await silo.CollectIdleAsync(TimeSpan.Zero);
            (_, JsonElement usage) = await client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=llm_tokens");
            Assert.Equal("16000", usage.Str("value"));
            Assert.Equal(11, usage.GetProperty("events").GetInt32());
        }
    }

    [Fact]
    public async Task A_meter_created_after_events_counts_them_too()
    {
        (HttpClient client, _, _) = await SeedAsync(Hour(s_now.AddDays(-2)));
        using (client)
        {
            Assert.Equal(201, (await client.PostAsync("/v1/meters", new { code = "by_model", event_type = "llm_tokens", aggregation = "unique_count", value_property = "model" })).Status);
            (_, JsonElement usage) = await client.GetJsonAsync("/v1/subscriptions/sub_1/usage?meter=by_model");
            Assert.Equal("2", usage.Str("value"));
        }
    }
}
