using System.Text.Json;
using Metering.Cli;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests;

/// <summary>The <c>metering</c> command against the live in-process server (real HTTP, real PostgreSQL).</summary>
[Collection(AppCollection.Name)]
public sealed class CliTests(AppFixture app)
{
    private Dictionary<string, string> Env(string key) => new()
    {
        [GlobalOptions.UrlVariable] = app.BaseAddress.ToString(),
        [GlobalOptions.KeyVariable] = key,
    };

    [Fact]
    public async Task Cluster_prints_the_silos_table_and_json()
    {
        (_, string key, _) = await app.NewTenantWithKeyAsync();
        CliRunner.CliResult table = await CliRunner.RunAsync(Env(key), "cluster");
        Assert.True(table.ExitCode == ExitCodes.Ok, table.ToString());
        Assert.Contains("active", table.Out);
        Assert.Contains("256 partitions", table.Out);

        CliRunner.CliResult json = await CliRunner.RunAsync(Env(key), "cluster", "--json");
        Assert.Equal(ExitCodes.Ok, json.ExitCode);
        JsonElement body = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal(256, body.GetProperty("silos").EnumerateArray().Sum(s => s.GetProperty("partitions").GetInt32()));
    }

    [Fact]
    public async Task Url_and_key_options_win_over_the_environment()
    {
        (_, string key, _) = await app.NewTenantWithKeyAsync();
        var wrong = new Dictionary<string, string> { [GlobalOptions.UrlVariable] = "http://127.0.0.1:1", [GlobalOptions.KeyVariable] = "nope" };
        CliRunner.CliResult result = await CliRunner.RunAsync(wrong, "cluster", "--url", app.BaseAddress.ToString(), "--key", key);
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
    }

    [Fact]
    public async Task Tenants_create_uses_the_admin_key_and_the_new_key_works()
    {
        var env = new Dictionary<string, string> { [GlobalOptions.UrlVariable] = app.BaseAddress.ToString(), [GlobalOptions.AdminKeyVariable] = AppFixture.AdminKey };
        string id = "t_cli_" + Guid.NewGuid().ToString("N")[..8];
        CliRunner.CliResult created = await CliRunner.RunAsync(env, "tenants", "create", id, "--json");
        Assert.True(created.ExitCode == ExitCodes.Ok, created.ToString());
        string key = JsonDocument.Parse(created.Out).RootElement.GetProperty("api_key").GetString()!;
        Assert.Equal(ExitCodes.Ok, (await CliRunner.RunAsync(Env(key), "cluster")).ExitCode);

        CliRunner.CliResult again = await CliRunner.RunAsync(env, "tenants", "create", id);
        Assert.Equal(ExitCodes.Refused, again.ExitCode);
        Assert.Contains("ALREADY_EXISTS", again.Error);
    }

    [Fact]
    public async Task Exit_codes_tell_usage_auth_and_server_failures_apart()
    {
        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync(Env("k"), "no-such-command")).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync(new Dictionary<string, string>(), "cluster")).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync(Env("k"), "cluster", "--url", "ftp://x")).ExitCode);
        Assert.Equal(ExitCodes.AuthFailure, (await CliRunner.RunAsync(Env("not-a-key"), "cluster")).ExitCode);
        CliRunner.CliResult unreachable = await CliRunner.RunAsync(Env("k"), "cluster", "--url", "http://127.0.0.1:1");
        Assert.Equal(ExitCodes.ServerError, unreachable.ExitCode);
        Assert.Contains("Cannot reach", unreachable.Error);
    }

    [Fact]
    public async Task Usage_prints_windows_and_groups_as_a_table_or_json()
    {
        (_, string key, HttpClient client) = await app.NewTenantWithKeyAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_u", new { code = "tokens", event_type = "tokens", aggregation = "sum", value_property = "n", group_by = new[] { "model" } });
        await client.PostAsync("/v1/events/batch", new { events = new[]
        {
            new { idempotency_key = "u1", subject, event_type = "tokens", properties = new { n = 5, model = "gpt-4" } },
            new { idempotency_key = "u2", subject, event_type = "tokens", properties = new { n = 7, model = "gpt-3" } },
        } });

        CliRunner.CliResult table = await CliRunner.RunAsync(Env(key), "usage", "sub_u", "--meter", "tokens", "--window", "hour", "--group-by", "model");
        Assert.True(table.ExitCode == ExitCodes.Ok, table.ToString());
        Assert.Contains("model=gpt-4", table.Out);
        Assert.Matches(@"model=gpt-3\s*│\s*7\b", table.Out);
        Assert.Matches(@"total .*│\s*12\s*│\s*2\s*│", table.Out);

        CliRunner.CliResult json = await CliRunner.RunAsync(Env(key), "usage", "sub_u", "--meter", "tokens", "--json");
        Assert.Equal("12", JsonDocument.Parse(json.Out).RootElement.GetProperty("value").GetString());
        Assert.Equal(ExitCodes.Refused, (await CliRunner.RunAsync(Env(key), "usage", "no_such_sub", "--meter", "tokens")).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync(Env(key), "usage", "sub_u", "--meter", "tokens", "--window", "week")).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync(Env(key), "usage", "sub_u")).ExitCode);
    }

    [Fact]
    public async Task Quotas_set_then_check_shows_what_remains()
    {
        (_, string key, HttpClient client) = await app.NewTenantWithKeyAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_q", new { code = "calls", event_type = "call", aggregation = "count" });
        CliRunner.CliResult set = await CliRunner.RunAsync(Env(key), "quotas", "set", "sub_q", "calls", "--limit", "10", "--period", "day");
        Assert.True(set.ExitCode == ExitCodes.Ok, set.ToString());
        Assert.Matches(@"limit\s*│\s*10\b", set.Out);
        await client.PostAsync("/v1/events", new { idempotency_key = "q1", subject, event_type = "call" });

        CliRunner.CliResult check = await CliRunner.RunAsync(Env(key), "quotas", "check", "--subject", subject, "--meter", "calls", "--amount", "4", "--json");
        Assert.True(check.ExitCode == ExitCodes.Ok, check.ToString());
        JsonElement decision = JsonDocument.Parse(check.Out).RootElement;
        Assert.Equal("allow", decision.GetProperty("decision").GetString());
        Assert.Equal("9", decision.GetProperty("remaining").GetString());
        CliRunner.CliResult denied = await CliRunner.RunAsync(Env(key), "quotas", "check", "--subject", subject, "--meter", "calls", "--amount", "10");
        Assert.Matches(@"decision\s*│\s*deny", denied.Out);
        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync(Env(key), "quotas", "set", "sub_q", "calls", "--limit", "1", "--period", "fortnight")).ExitCode);
    }

    [Fact]
    public async Task A_billing_run_is_waited_for_and_its_invoices_listed_shown_and_finalized()
    {
        (_, string key, HttpClient client) = await app.NewTenantWithKeyAsync();
        await client.SetUpSubscriptionAsync("sub_b", startedAt: DateTimeOffset.UtcNow.AddMonths(-3).ToString("yyyy-MM-ddTHH:00:00Z"));

        CliRunner.CliResult run = await CliRunner.RunAsync(Env(key), "billing-run", "start", "--wait");
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Matches(@"billing run [0-9a-f-]+ completed: 3 invoices created, 3 of 3 periods done, 0 failed", run.Out);
        CliRunner.CliResult again = await CliRunner.RunAsync(Env(key), "billing-run", "start", "--wait", "--json");
        Assert.Equal(0, JsonDocument.Parse(again.Out).RootElement.GetProperty("created").GetInt32());
        CliRunner.CliResult started = await CliRunner.RunAsync(Env(key), "billing-run", "start");
        Assert.Contains("started", started.Out);

        CliRunner.CliResult list = await CliRunner.RunAsync(Env(key), "invoices", "list", "--subscription", "sub_b", "--json");
        JsonElement[] invoices = [.. JsonDocument.Parse(list.Out).RootElement.GetProperty("data").EnumerateArray()];
        Assert.Equal(3, invoices.Length);
        CliRunner.CliResult listTable = await CliRunner.RunAsync(Env(key), "invoices", "list", "--status", "draft");
        Assert.Equal(3, invoices.Count(i => listTable.Out.Contains(i.Str("id"), StringComparison.Ordinal)));

        string id = invoices[0].Str("id");
        CliRunner.CliResult show = await CliRunner.RunAsync(Env(key), "invoices", "show", id);
        Assert.True(show.ExitCode == ExitCodes.Ok, show.ToString());
        Assert.Contains($"invoice {id} (draft)", show.Out);
        Assert.Matches(@"total\s*│.*│\s*118.80 USD", show.Out);

        CliRunner.CliResult finalized = await CliRunner.RunAsync(Env(key), "invoices", "finalize", id, "--json");
        Assert.Equal("finalized", JsonDocument.Parse(finalized.Out).RootElement.GetProperty("status").GetString());
        Assert.Equal(ExitCodes.Refused, (await CliRunner.RunAsync(Env(key), "invoices", "show", Guid.NewGuid().ToString())).ExitCode);
    }
}
