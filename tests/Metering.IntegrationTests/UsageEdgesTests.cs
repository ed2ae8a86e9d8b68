using System.Globalization;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
using Metering.Silo.Usage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Metering.IntegrationTests;

/// <summary>A range that does not fall on whole hours is read as its whole hours from the hourly cells plus its two partial
/// hours from the event log: every aggregation is exact, and equal to reading the whole range from the log.</summary>
[Collection(AppCollection.Name)]
public sealed class UsageEdgesTests(AppFixture app)
{
    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Every_aggregation_over_a_range_off_the_hour_is_exact_and_agrees_with_the_event_log()
    {
        HttpClient client = await app.NewTenantAsync();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset hour = new(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        DateTimeOffset start = hour.AddHours(-4);
        string subject = await client.SetUpSubscriptionAsync("sub_edges", new { code = "tokens", event_type = "t", aggregation = "sum", value_property = "n" },
            Iso(start.AddDays(-40)));
        foreach ((string code, string aggregation, string? property) in new[]
        {
            ("calls", "count", (string?)null), ("users", "unique_count", "user"), ("peak", "max", "n"), ("low", "min", "n"), ("last", "latest", "n"), ("mean", "avg", "n"),
        })
        {
            Assert.Equal(201, (await client.PostAsync("/v1/meters", new { code, event_type = "t", aggregation, value_property = property })).Status);
        }

        // Minutes after start, value, user: two before the range and after it, two in the first partial hour, two in the
        // whole hours, one in the last partial hour.
        (int Minute, int N, string User)[] events = [(5, 1000, "x"), (12, 3, "a"), (50, 7, "b"), (90, 11, "a"), (179, 2, "c"), (190, 5, "d"), (205, 500, "y")];
        var batch = events.Select((e, i) => new { idempotency_key = $"edge-{i}", subject, event_type = "t", timestamp = Iso(start.AddMinutes(e.Minute)), properties = new { n = e.N, user = e.User } });
        Assert.Equal(207, (await client.PostAsync("/v1/events/batch", new { events = batch })).Status);

        DateTimeOffset from = start.AddMinutes(10), to = start.AddMinutes(200);
        await AssertRangeAsync(client, subject, start, from, to);

        // Rolled up, the same answers come from the minute and hour rollups (plus nothing after their marks).
        RollupJob rollups = app.Services.GetRequiredService<RollupJob>();
        await rollups.RollUpAsync();
        string tenant = await app.TenantOfAsync(client);
        Assert.Equal(6 * 7, await ScalarAsync("SELECT count(*) FROM usage_minutes WHERE tenant_id = $1 AND minute >= $2", tenant, from)); // six minutes × seven meters
        await AssertRangeAsync(client, subject, start, from, to);

        // A minute rollup far behind the hourly one (as after the upgrade that adds it) catches up alone: the hourly cells
        // are not counted twice.
        long hourly = await ScalarAsync("SELECT sum(count) FROM usage_rollups WHERE tenant_id = $1", tenant);
        await ScalarAsync("WITH d AS (DELETE FROM usage_minutes WHERE tenant_id = $1 RETURNING 1) SELECT count(*) FROM d", tenant);
        await ScalarAsync("WITH d AS (DELETE FROM usage_minutes_progress WHERE tenant_id = $1 RETURNING 1) SELECT count(*) FROM d", tenant);
        await AssertRangeAsync(client, subject, start, from, to);
        await rollups.RollUpAsync();
        Assert.Equal(hourly, await ScalarAsync("SELECT sum(count) FROM usage_rollups WHERE tenant_id = $1", tenant));
        Assert.True(await ScalarAsync("SELECT count(*) FROM usage_minutes WHERE tenant_id = $1", tenant) > 0);
        await AssertRangeAsync(client, subject, start, from, to);
    }

    /// <summary>Every aggregation over [from, to): exact, equal read as a whole or minute by minute, cut into hour windows at
    /// the range, and equal through the OpenMeter query.</summary>
    private static async Task AssertRangeAsync(HttpClient client, string subject, DateTimeOffset start, DateTimeOffset from, DateTimeOffset to)
    {
        var expected = new Dictionary<string, decimal>
        {
            ["tokens"] = 28, ["calls"] = 5, ["users"] = 4, ["peak"] = 11, ["low"] = 2, ["last"] = 5, ["mean"] = 5.6m,
        };
        foreach ((string meter, decimal value) in expected)
        {
            string range = $"/v1/subscriptions/sub_edges/usage?meter={meter}&from={Iso(from)}&to={Iso(to)}";
            JsonElement usage = await Ok(client, range);
            Assert.True(value == Decimal(usage, "value"), $"{meter}: {usage}");
            Assert.Equal(5, usage.GetProperty("events").GetInt64());
            JsonElement minutes = await Ok(client, range + "&window=minute");
            Assert.Equal(Decimal(usage, "value"), Decimal(minutes, "value"));
            Assert.Equal(5, minutes.GetProperty("windows").GetArrayLength());
        }

        // Hour windows: the partial hours are their own windows, cut at the range.
        JsonElement hours = await Ok(client, $"/v1/subscriptions/sub_edges/usage?meter=tokens&window=hour&from={Iso(from)}&to={Iso(to)}");
        var windows = hours.GetProperty("windows").EnumerateArray().Select(w => (Start: DateTimeOffset.Parse(w.Str("start"), CultureInfo.InvariantCulture), Value: Decimal(w, "value"))).ToList();
        Assert.Equal([(from, 10m), (start.AddHours(1), 11m), (start.AddHours(2), 2m), (start.AddHours(3), 5m)], windows);

        // The OpenMeter query by subject, minute by minute.
        JsonElement query = await Ok(client, $"/api/v1/meters/tokens/query?from={Iso(from)}&to={Iso(to)}&windowSize=MINUTE&subject={subject}");
        Assert.Equal([3m, 7m, 11m, 2m, 5m], query.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("value").GetDecimal()));
    }

    private async Task<long> ScalarAsync(string sql, params object[] values)
    {
        await using NpgsqlConnection db = await app.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(sql, db);
        foreach (object value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L, CultureInfo.InvariantCulture);
    }

    private static async Task<JsonElement> Ok(HttpClient client, string path)
    {
        (int status, JsonElement body) = await client.GetJsonAsync(path);
        Assert.True(status == 200, $"{path}: {status} {body}");
        return body;
    }

    private static decimal Decimal(JsonElement e, string name)
        => e.GetProperty(name).ValueKind == JsonValueKind.Number ? e.GetProperty(name).GetDecimal() : decimal.Parse(e.Str(name), CultureInfo.InvariantCulture);
}
