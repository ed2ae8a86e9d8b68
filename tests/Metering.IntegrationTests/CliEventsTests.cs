using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Metering.Cli;
using Metering.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Metering.IntegrationTests;

/// <summary><c>metering events send</c> against the live server: every file format, the summary's counts, retries and
/// resumes with the same idempotency keys, and a file of 100,000 events whose send is SIGKILLed and resumed.</summary>
[Collection(AppCollection.Name)]
public sealed class CliEventsTests(AppFixture app, ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("metering-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Dictionary<string, string> Env(string key) => new()
    {
        [GlobalOptions.UrlVariable] = app.BaseAddress.ToString(),
        [GlobalOptions.KeyVariable] = key,
    };

    private async Task<(string Key, HttpClient Client, string Subject)> TenantAsync(string subscription = "sub_cli")
    {
        (_, string key, HttpClient client) = await app.NewTenantWithKeyAsync();
        string subject = await client.SetUpSubscriptionAsync(subscription, new { code = "tokens", event_type = "tokens", aggregation = "sum", value_property = "n", group_by = new[] { "model" } });
        await client.PostAsync("/v1/meters", new { code = "calls", event_type = "tokens", aggregation = "count" });
        return (key, client, subject);
    }

    private string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static async Task<(decimal Value, long Events)> UsageAsync(HttpClient client, string meter, string subscription = "sub_cli")
    {
        (int status, JsonElement body) = await client.GetJsonAsync($"/v1/subscriptions/{subscription}/usage?meter={meter}");
        Assert.True(status == 200, body.ToString());
        return (decimal.Parse(body.Str("value"), System.Globalization.CultureInfo.InvariantCulture), body.GetProperty("events").GetInt64());
    }

    [Fact]
    public async Task Every_format_is_sent_and_counted_and_a_rerun_sends_nothing_again()
    {
        (string key, HttpClient client, string subject) = await TenantAsync();
        string ndjson = Write("e.ndjson", string.Join('\n', Enumerable.Range(1, 5).Select(i => JsonSerializer.Serialize(new { idempotency_key = $"nd-{i}", subject, event_type = "tokens", properties = new { n = i, model = "a" } }))) + "\n");
        string array = Write("e.json", JsonSerializer.Serialize(Enumerable.Range(1, 4).Select(i => new { subject, event_type = "tokens", properties = new { n = 10, model = "b" } })));
        string csv = Write("e.csv", $"idempotency_key,subject,event_type,n,model\ncsv-1,{subject},tokens,100,\"c, quoted\"\ncsv-2,{subject},tokens,200,c\n");
        string cloud = Write("cloud.ndjson", string.Join('\n', Enumerable.Range(1, 3).Select(i => JsonSerializer.Serialize(new { specversion = "1.0", id = $"ce-{i}", source = "svc", type = "tokens", subject, time = DateTimeOffset.UtcNow.ToString("O"), data = new { n = 1000, model = "d" } }))));

        foreach (string file in new[] { ndjson, array, csv, cloud })
        {
            CliRunner.CliResult sent = await CliRunner.RunAsync(Env(key), "events", "send", file, "--batch-size", "2", "--json");
            Assert.True(sent.ExitCode == ExitCodes.Ok, sent.ToString());
        }

        Assert.Equal((15m + 40m + 300m + 3000m, 14L), await UsageAsync(client, "tokens"));
        JsonElement groups = (await client.GetJsonAsync("/v1/subscriptions/sub_cli/usage?meter=tokens&group_by=model")).Body.GetProperty("groups").GetProperty("model");
        Assert.Equal("200", groups.Str("c"));
        Assert.Equal("100", groups.Str("c, quoted"));

        // Again: the progress files say everything was acknowledged, so nothing is sent.
        CliRunner.CliResult again = await CliRunner.RunAsync(Env(key), "events", "send", array, "--batch-size", "2");
        Assert.True(again.ExitCode == ExitCodes.Ok, again.ToString());
        Assert.Contains("4 acknowledged by an earlier run; sending 0.", again.Out);
        Assert.Contains("This run sent 0 events", again.Out);

        // --restart sends every event again with the same keys (derived from the file for the array): all duplicates.
        CliRunner.CliResult restarted = await CliRunner.RunAsync(Env(key), "events", "send", array, "--batch-size", "3", "--restart", "--json");
        Assert.True(restarted.ExitCode == ExitCodes.Ok, restarted.ToString());
        JsonElement summary = JsonDocument.Parse(restarted.Out).RootElement;
        Assert.Equal(0, summary.GetProperty("stored").GetInt64());
        Assert.Equal(4, summary.GetProperty("duplicates").GetInt64());
        Assert.Equal((3355m, 14L), await UsageAsync(client, "tokens"));
    }

    [Fact]
    public async Task Rejected_events_are_summarised_by_reason_with_the_partial_failure_exit_code()
    {
        (string key, HttpClient client, string subject) = await TenantAsync();
        var lines = new[]
        {
            JsonSerializer.Serialize(new { idempotency_key = "r-1", subject, event_type = "tokens", properties = new { n = 1 } }),
            JsonSerializer.Serialize(new { idempotency_key = "r-2", subject = "nobody", event_type = "tokens", properties = new { n = 1 } }),
            JsonSerializer.Serialize(new { idempotency_key = "r-3", subject, event_type = "NOT VALID", properties = new { n = 1 } }),
            JsonSerializer.Serialize(new { idempotency_key = "r-4", subject = "nobody-else", event_type = "tokens" }),
        };
        CliRunner.CliResult result = await CliRunner.RunAsync(Env(key), "events", "send", Write("mixed.ndjson", string.Join('\n', lines)));
        Assert.True(result.ExitCode == ExitCodes.PartialFailure, result.ToString());
        Assert.Matches(@"stored\s*│\s*1\b", result.Out);
        Assert.Matches(@"rejected: UNKNOWN_SUBJECT\s*│\s*2\b", result.Out);
        Assert.Matches(@"rejected: INVALID_REQUEST\s*│\s*1\b", result.Out);
        Assert.Equal((1m, 1L), await UsageAsync(client, "tokens"));
    }

    [Fact]
    public async Task Bad_input_and_an_unreachable_server_have_their_exit_codes()
    {
        (string key, _, string subject) = await TenantAsync();
        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync(Env(key), "events", "send", Path.Combine(_dir, "missing.ndjson"))).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync(Env(key), "events", "send", Write("bad.ndjson", "{not json"))).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync(Env(key), "events", "send", Write("num.ndjson", "42"))).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync(Env(key), "events", "send", Write("x.json", "{}"), "--format", "json")).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync(Env(key), "events", "send", Write("short.csv", "subject,event_type\na\n"))).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync(Env(key), "events", "send", Write("ok.ndjson", "{}"), "--batch-size", "5000")).ExitCode);

        string file = Write("one.ndjson", JsonSerializer.Serialize(new { idempotency_key = "u-1", subject, event_type = "tokens" }));
        Assert.Equal(ExitCodes.AuthFailure, (await CliRunner.RunAsync(Env("wrong-key"), "events", "send", file)).ExitCode);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        CliRunner.CliResult down = await CliRunner.RunAsync(Env(key), cancel.Token, "events", "send", file, "--url", "http://127.0.0.1:1");
        Assert.True(down.ExitCode == ExitCodes.ServerError, down.ToString());
        Assert.Contains("not sent", down.Out);
    }

    /// <summary>100,000 events: the first send runs as a real <c>metering</c> process, SIGKILLed once part of them is
    /// acknowledged; the second run sends only the batches the first did not record as answered, and the server then holds
    /// exactly 100,000 events and their exact sum.</summary>
    [Fact]
    public async Task A_file_of_100000_events_whose_send_is_killed_then_resumed_is_stored_exactly_once()
    {
        const int count = 100_000;
        (string key, HttpClient client, string subject) = await TenantAsync("sub_big");
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            text.Append("{\"subject\":\"").Append(subject).Append("\",\"event_type\":\"tokens\",\"properties\":{\"n\":").Append(i % 10).Append(",\"model\":\"m").Append(i % 3).Append("\"}}\n");
        }

        string file = Write("big.ndjson", text.ToString());
        string journal = file + ".metering-send";
        var clock = Stopwatch.StartNew();
        using (Process first = StartCli(Env(key), "events", "send", file, "--json"))
        {
            while (!first.HasExited && (!File.Exists(journal) || File.ReadLines(journal).Count() < 21))
            {
                await Task.Delay(20);
            }

            Assert.False(first.HasExited, "the send finished before it could be killed");
            first.Kill(); // SIGKILL: no handler runs, the journal is as the last flushed line left it
            await first.WaitForExitAsync();
        }

        // What the killed run recorded as answered: every complete line after the header (a line cut by the kill is not).
        long acknowledgedFirst = File.ReadLines(journal).Skip(1).Sum(Acknowledged);
        Assert.InRange(acknowledgedFirst, 20_000, count - 1000);

        CliRunner.CliResult resumed = await CliRunner.RunAsync(Env(key), "events", "send", file, "--json");
        Assert.True(resumed.ExitCode == ExitCodes.Ok, resumed.ToString());
        JsonElement summary = JsonDocument.Parse(resumed.Out).RootElement;
        output.WriteLine($"100,000 events: the killed run acknowledged {acknowledgedFirst}, the resumed run sent {summary.GetProperty("sent_this_run")}; {clock.Elapsed.TotalSeconds:0.0} s in all");
        Assert.Equal(count - acknowledgedFirst, summary.GetProperty("sent_this_run").GetInt64());
        Assert.Equal(acknowledgedFirst, summary.GetProperty("acknowledged_earlier").GetInt64());
        // Batches in flight at the kill may have been stored without being acknowledged: they come back as duplicates.
        Assert.Equal(count, summary.GetProperty("stored").GetInt64() + summary.GetProperty("duplicates").GetInt64());
        Assert.Empty(summary.GetProperty("rejected").EnumerateObject());

        Assert.Equal((450_000m, (long)count), await UsageAsync(client, "tokens", "sub_big"));
        Assert.Equal(count, (await UsageAsync(client, "calls", "sub_big")).Value);
    }

    /// <summary>Ctrl-C stops a send between batches: exit code Interrupted, with the summary of what was answered so far, and
    /// the next run sends the rest.</summary>
    [Fact]
    public async Task An_interrupted_send_says_so_and_the_next_run_sends_the_rest()
    {
        const int count = 20_000;
        (string key, HttpClient client, string subject) = await TenantAsync("sub_ctrl_c");
        string file = Write("ctrl-c.ndjson", string.Concat(Enumerable.Range(0, count).Select(i =>
            "{\"subject\":\"" + subject + "\",\"event_type\":\"tokens\",\"properties\":{\"n\":1,\"model\":\"m\"}}\n")));
        string journal = file + ".metering-send";
        using var interrupt = new CancellationTokenSource();
        Task<CliRunner.CliResult> first = CliRunner.RunAsync(Env(key), interrupt.Token, "events", "send", file, "--batch-size", "500", "--json");
        while (!first.IsCompleted && (!File.Exists(journal) || File.ReadLines(journal).Count() < 4))
        {
            await Task.Delay(20);
        }

        await interrupt.CancelAsync();
        CliRunner.CliResult interrupted = await first;
        Assert.True(interrupted.ExitCode == ExitCodes.Interrupted, interrupted.ToString());
        long stored = JsonDocument.Parse(interrupted.Out).RootElement.GetProperty("stored").GetInt64();
        Assert.InRange(stored, 1500, count - 500);

        CliRunner.CliResult resumed = await CliRunner.RunAsync(Env(key), "events", "send", file, "--batch-size", "500", "--json");
        Assert.True(resumed.ExitCode == ExitCodes.Ok, resumed.ToString());
        Assert.Equal(count - stored, JsonDocument.Parse(resumed.Out).RootElement.GetProperty("sent_this_run").GetInt64());
        Assert.Equal((decimal)count, (await UsageAsync(client, "tokens", "sub_ctrl_c")).Value);
    }

    /// <summary>The events a journal line records as answered; 0 for a line the kill cut short.</summary>
    private static long Acknowledged(string line)
    {
        try
        {
            JsonElement entry = JsonDocument.Parse(line).RootElement;
            return entry.GetProperty("stored").GetInt64() + entry.GetProperty("duplicates").GetInt64()
                + entry.GetProperty("rejected").EnumerateObject().Sum(r => r.Value.GetInt64());
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    /// <summary>The <c>metering</c> CLI built beside the tests, as a process of its own with <paramref name="environment"/>.</summary>
    private static Process StartCli(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "metering.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        Process process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
