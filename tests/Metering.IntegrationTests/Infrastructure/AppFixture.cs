using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Metering.Testing;
using Npgsql;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>Creates a throwaway database on the test PostgreSQL (METERING_TEST_DB, set by scripts/test).</summary>
public static class TestDatabase
{
    public static string AdminConnectionString => Environment.GetEnvironmentVariable("METERING_TEST_DB")
        ?? throw new InvalidOperationException("METERING_TEST_DB is not set: run the tests with ./scripts/test.");

    public static async Task<string> CreateAsync(string prefix)
    {
        string name = $"{prefix}_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }
}

/// <summary>The gateway with its embedded silo, started once for the test collection on a real port (Kestrel on loopback)
/// against a fresh database. Each test works in tenants of its own, so tests never see each other's data.</summary>
public sealed class AppFixture : IAsyncLifetime
{
    public const string AdminKey = TestGateway.AdminKey;

    private TestGateway? _gateway;

    /// <summary>The clock of API access (key expiry, the key cache, rate-limit buckets): it moves only when a test moves it,
    /// so rate limits and expiry are tested without sleeping. Everything else runs on the system clock. It starts on a whole
    /// second, so the times it gives survive PostgreSQL's microseconds unchanged.</summary>
    public ManualClock AccessClock { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    public string ConnectionString { get; private set; } = "";

    public Uri BaseAddress => _gateway!.BaseAddress;

    public IServiceProvider Services => _gateway!.Services;

    public async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync("it");
        _gateway = await TestGateway.StartAsync(ConnectionString, new Dictionary<string, string?>
        {
            ["METERING_BOOTSTRAP_API_KEY"] = "bootstrap-key",
            ["Rollup:Interval"] = "01:00:00",
            // Re-rating jobs stay pending a moment, so a test can see an overlapping job refused.
            ["Rerating:StartDelay"] = "00:00:00.5",
            // The access clock stands still, so a bucket never refills unless a test moves it: the default is large enough
            // for every test's keys; rate-limit tests set their tenant's own limit.
            ["RateLimits:RequestsPerSecond"] = "1000",
            ["RateLimits:Burst"] = "1000000",
            // Tests write the last use of keys themselves (ApiKeyUsageWriter.FlushAsync), so they can see a request write none.
            ["ApiKeys:LastUsedFlushInterval"] = "01:00:00",
        }, services => services.AddKeyedSingleton<TimeProvider>(Metering.Silo.ApiKeys.AccessClock.Key, AccessClock));
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }

    public HttpClient Client(string? apiKey = null) => _gateway!.Client(apiKey);

    /// <summary>A new tenant through the admin API, and a client holding its key.</summary>
    public async Task<HttpClient> NewTenantAsync() => (await NewTenantWithKeyAsync()).Client;

    /// <summary>A new tenant: its id, its API key and a client holding the key (see <see cref="TestGateway.NewTenantAsync"/>).</summary>
    public async Task<(string Id, string ApiKey, HttpClient Client)> NewTenantWithKeyAsync()
    {
        (string id, string key) = await _gateway!.NewTenantAsync();
        return (id, key, Client(key));
    }

    public async Task<NpgsqlConnection> OpenDatabaseAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The tenant whose API key <paramref name="client"/> sends.</summary>
    public async Task<string> TenantOfAsync(HttpClient client)
    {
        await using NpgsqlConnection db = await OpenDatabaseAsync();
        string key = client.DefaultRequestHeaders.Authorization!.Parameter!;
        await using var command = new NpgsqlCommand("SELECT tenant_id FROM api_keys WHERE key_hash = $1", db);
        command.Parameters.Add(new NpgsqlParameter { Value = System.Text.Encoding.ASCII.GetBytes(Metering.Silo.ApiKeys.ApiKeySecrets.Hash(key)) });
        return (string)(await command.ExecuteScalarAsync())!;
    }
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "app";
}

public static class Http
{
    public static async Task<(int Status, JsonElement Body)> PostAsync(this HttpClient client, string path, object body)
    {
        HttpResponseMessage response = await client.PostAsJsonAsync(path, body);
        return ((int)response.StatusCode, await ReadAsync(response));
    }

    public static async Task<(int Status, JsonElement Body)> PostRawAsync(this HttpClient client, string path, string json)
    {
        HttpResponseMessage response = await client.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        return ((int)response.StatusCode, await ReadAsync(response));
    }

    public static async Task<(int Status, JsonElement Body)> GetJsonAsync(this HttpClient client, string path)
    {
        HttpResponseMessage response = await client.GetAsync(path);
        return ((int)response.StatusCode, await ReadAsync(response));
    }

    /// <summary>Any method, with an optional JSON body; the whole response, for its headers.</summary>
    public static async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> SendJsonAsync(this HttpClient client, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        HttpResponseMessage response = await client.SendAsync(request);
        return ((int)response.StatusCode, await ReadAsync(response), response);
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static string Code(this JsonElement problem) => problem.GetProperty("code").GetString()!;

    public static string Str(this JsonElement element, string name) => element.GetProperty(name).GetString()!;

    /// <summary>Creates a meter, a customer, a plan and a subscription with one subject; returns the subject.</summary>
    public static async Task<string> SetUpSubscriptionAsync(this HttpClient client, string subscriptionId = "sub_1", object? meter = null, string? startedAt = null)
    {
        string subject = $"agent:{subscriptionId}:{Guid.NewGuid():N}";
        if (meter is not null)
        {
            (int s, JsonElement b) = await client.PostAsync("/v1/meters", meter);
            Assert.True(s is 201 or 409, b.ToString());
        }

        await client.PostAsync("/v1/customers", new { id = "cust_1", name = "Acme", currency = "USD", tax_rate = "0.20" });
        await client.PostAsync("/v1/plans", new { code = "pro", currency = "USD", interval = "month", fixed_fee = "99.00" });
        (int status, JsonElement body) = await client.PostAsync("/v1/subscriptions", new
        {
            id = subscriptionId,
            customer_id = "cust_1",
            plan = "pro",
            started_at = startedAt ?? DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-ddTHH:00:00Z"),
            subjects = new[] { subject },
        });
        Assert.True(status == 201, body.ToString());
        return subject;
    }
}
