using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Metering.Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>The gateway with its embedded silo in the test process, on a real port (Kestrel on loopback), against a database
/// of the test PostgreSQL: what the in-process fixtures start, each with its own settings and services.</summary>
public sealed class TestGateway : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key";

    private readonly WebApplication _app;

    private TestGateway(WebApplication app)
    {
        _app = app;
        BaseAddress = new Uri(app.Urls.First());
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a gateway on <paramref name="connectionString"/> with the admin key <see cref="AdminKey"/>, the
    /// <paramref name="settings"/> over its defaults, and <paramref name="services"/> added last (a test's clocks).</summary>
    public static async Task<TestGateway> StartAsync(string connectionString, IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings)
        {
            ["METERING_DB"] = connectionString,
            ["METERING_ADMIN_KEY"] = AdminKey,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddMeteringGateway();
        services?.Invoke(builder.Services);
        WebApplication app = builder.Build();
        app.MapMeteringApi();
        await app.StartAsync();
        return new TestGateway(app);
    }

    public HttpClient Client(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return client;
    }

    /// <summary>A new tenant through the admin API: its id and its API key (scopes ingest, read and manage). Tests start with
    /// one, so this is where they keep clear of the last minute of an hour: their counts then stay in one hour window.</summary>
    public async Task<(string Id, string ApiKey)> NewTenantAsync()
    {
        await WallClock.AwayFromHourEndAsync();
        using HttpClient admin = Client(AdminKey);
        string id = "t_" + Guid.NewGuid().ToString("N")[..12];
        HttpResponseMessage response = await admin.PostAsJsonAsync("/admin/v1/tenants", new { id });
        response.EnsureSuccessStatusCode();
        JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (id, body.GetProperty("api_key").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
