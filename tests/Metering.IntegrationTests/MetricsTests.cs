using System.Globalization;
using System.Text.RegularExpressions;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests;

/// <summary>/metrics parsed as Prometheus text after real traffic: histograms are cumulative and consistent, the latency
/// histograms the issue asks for are there, and no label carries a tenant or subscription id.</summary>
[Collection(AppCollection.Name)]
public sealed partial class MetricsTests(AppFixture app)
{
    private sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    [GeneratedRegex("""^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?""")]
    private static partial Regex LabelPair();

    [Fact]
    public async Task Histograms_are_cumulative_consistent_and_free_of_ids()
    {
        (string tenant, _, HttpClient client) = await app.NewTenantWithKeyAsync();
        string subscription = "sub_metrics_" + Guid.NewGuid().ToString("N")[..6];
        string subject = await client.SetUpSubscriptionAsync(subscription, new { code = "calls", event_type = "call", aggregation = "count" });
        var events = Enumerable.Range(0, 50).Select(i => new { idempotency_key = $"m-{i}", subject, event_type = "call" }).ToArray();
        (int status, _) = await client.PostAsync("/v1/events/batch", new { events });
        Assert.Equal(207, status);
        await client.PostAsync("/v1/events", new { idempotency_key = "m-0", subject, event_type = "call" }); // a duplicate
        await client.GetJsonAsync($"/v1/subscriptions/{subscription}/usage?meter=calls");
        await client.GetJsonAsync("/v1/subscriptions/nope/usage?meter=calls");

        string text = await app.Client().GetStringAsync("/metrics");
        List<Sample> samples = Parse(text);

        foreach (string histogram in new[] { "metering_http_request_duration_seconds", "metering_group_commit_size_events", "metering_group_commit_duration_seconds", "metering_grain_turn_duration_seconds", "metering_pg_connection_create_seconds", "metering_pg_pool_wait_seconds" })
        {
            Assert.Contains($"# TYPE {histogram} histogram", text);
            AssertConsistent(histogram, samples);
        }

        Assert.Contains(samples, s => s.Name == "metering_http_request_duration_seconds_count"
            && s.Labels["route"] == "/v1/events/batch" && s.Labels["method"] == "POST" && s.Labels["status"] == "207" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "metering_http_request_duration_seconds_count"
            && s.Labels["route"] == "/v1/subscriptions/{id}/usage" && s.Labels["status"] == "404");
        Assert.Contains(samples, s => s.Name == "metering_grain_turn_duration_seconds_count" && s.Labels["grain_type"] == "ISubscriptionGrain" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "metering_group_commit_size_events_sum" && s.Value >= 50);
        Assert.Contains(samples, s => s.Name == "metering_events_rejected_total" && s.Labels["code"] == "DUPLICATE_EVENT" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "metering_activations" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "metering_pg_pool_connections" && s.Labels["state"] == "idle");
        Assert.Contains(samples, s => s.Name == "metering_pg_pool_pending_requests");

        IEnumerable<string> labelValues = samples.SelectMany(s => s.Labels.Values);
        Assert.DoesNotContain(labelValues, v => v.Contains(tenant, StringComparison.Ordinal) || v.Contains(subscription, StringComparison.Ordinal) || v.Contains("nope", StringComparison.Ordinal));
    }

    private static void AssertConsistent(string name, List<Sample> samples)
    {
        var series = samples.Where(s => s.Name == name + "_bucket")
            .GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key).Select(l => l.Key + "=" + l.Value)));
        Assert.NotEmpty(series);
        foreach (var one in series)
        {
            var buckets = one.Select(s => (Le: s.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s.Labels["le"], CultureInfo.InvariantCulture), s.Value)).ToList();
            Assert.Equal(buckets.OrderBy(b => b.Le).Select(b => b.Le), buckets.Select(b => b.Le)); // written in ascending order
            Assert.True(double.IsPositiveInfinity(buckets[^1].Le), $"{name}{{{one.Key}}} ends without +Inf");
            for (int i = 1; i < buckets.Count; i++)
            {
                Assert.True(buckets[i].Value >= buckets[i - 1].Value, $"{name}{{{one.Key}}} is not cumulative at le={buckets[i].Le}");
            }

            Sample count = samples.Single(s => s.Name == name + "_count" && Key(s) == one.Key);
            Sample sum = samples.Single(s => s.Name == name + "_sum" && Key(s) == one.Key);
            Assert.Equal(buckets[^1].Value, count.Value);
            Assert.True(sum.Value >= 0);
            Assert.True(count.Value == 0 || sum.Value <= count.Value * buckets.Where(b => !double.IsInfinity(b.Le)).Max(b => b.Le) || buckets[^1].Value > buckets[^2].Value,
                $"{name}{{{one.Key}}}: the sum exceeds what its buckets allow");
        }
    }

    private static string Key(Sample s) => string.Join(",", s.Labels.OrderBy(l => l.Key).Select(l => l.Key + "=" + l.Value));

    private static List<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        string? typed = null;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                typed = line.Split(' ')[2];
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            Match match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            string name = match.Groups[1].Value;
            Assert.True(typed is not null && name.StartsWith(typed, StringComparison.Ordinal), $"{name} comes before its TYPE line");
            var labels = LabelPair().Matches(match.Groups[2].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            samples.Add(new Sample(name, labels, double.Parse(match.Groups[3].Value.Replace("+Inf", "Infinity"), CultureInfo.InvariantCulture)));
        }

        return samples;
    }
}
