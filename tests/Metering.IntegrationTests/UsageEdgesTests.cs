using System.Globalization;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;

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
            // The same range read minute by minute from the event log alone.
            JsonElement minutes = await Ok(client, range + "&window=minute");
            Assert.Equal(Decimal(usage, "value"), Decimal(minutes, "value"));
        }

        // Hour windows: the partial hours are their own windows, cut at the range.
        JsonElement hours = await Ok(client, $"/v1/subscriptions/sub_edges/usage?meter=tokens&window=hour&from={Iso(from)}&to={Iso(to)}");
        var windows = hours.GetProperty("windows").EnumerateArray().Select(w => (Start: DateTimeOffset.Parse(w.Str("start"), CultureInfo.InvariantCulture), Value: Decimal(w, "value"))).ToList();
        Assert.Equal([(from, 10m), (start.AddHours(1), 11m), (start.AddHours(2), 2m), (start.AddHours(3), 5m)], windows);
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
