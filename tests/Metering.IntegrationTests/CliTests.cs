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
}
