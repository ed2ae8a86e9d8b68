using System.Text.Json;
using Metering.Silo.Webhooks;
using Metering.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>The gateway with its embedded silo for webhook tests: endpoints on loopback allowed (private networks not), and
/// delivery on a manual clock (<see cref="Clock"/>: due times, backoff, the breaker's cool-down, signature timestamps), so
/// tests move time instead of waiting for it. Retries: 1 min doubling, 6 attempts, no jitter; the breaker opens after 4
/// failures in a row and cools down for 5 min. The dispatcher polls every 50 ms of real time.</summary>
public sealed class WebhookFixture : IAsyncLifetime
{
    public const int MaxAttempts = 6;
    public const int FailureThreshold = 4;
    public static readonly TimeSpan BaseDelay = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan CoolDown = TimeSpan.FromMinutes(5);

    private TestGateway? _gateway;

    public ManualClock Clock { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    public Uri BaseAddress => _gateway!.BaseAddress;

    public IServiceProvider Services => _gateway!.Services;

    public WebhookDispatcher Dispatcher => Services.GetRequiredService<WebhookDispatcher>();

    public async Task InitializeAsync()
    {
        _gateway = await TestGateway.StartAsync(await TestDatabase.CreateAsync("wh"), new Dictionary<string, string?>
        {
            ["Rollup:Interval"] = "01:00:00",
            ["RateLimits:RequestsPerSecond"] = "1000",
            ["RateLimits:Burst"] = "1000000",
            ["Webhooks:AllowLoopback"] = "true",
            ["Webhooks:PollInterval"] = "00:00:00.05",
            ["Webhooks:Timeout"] = "00:00:05",
            ["Webhooks:Retry:MaxAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Webhooks:Retry:BaseDelay"] = BaseDelay.ToString(),
            ["Webhooks:Retry:Jitter"] = "0",
            ["Webhooks:Breaker:FailureThreshold"] = FailureThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Webhooks:Breaker:CoolDown"] = CoolDown.ToString(),
        }, services => services.AddKeyedSingleton<TimeProvider>(WebhookClock.Key, Clock));
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }

    public HttpClient Client(string apiKey) => _gateway!.Client(apiKey);

    /// <summary>A new tenant and a client holding its key (scopes ingest, read and manage).</summary>
    public async Task<HttpClient> NewTenantAsync() => (await NewTenantWithKeyAsync()).Client;

    public async Task<(HttpClient Client, string Key)> NewTenantWithKeyAsync()
    {
        (_, string key) = await _gateway!.NewTenantAsync();
        return (Client(key), key);
    }

    /// <summary>Registers an endpoint at <paramref name="receiver"/> for <paramref name="events"/> and gives the receiver its
    /// secret and the delivery clock; returns the endpoint's id.</summary>
    public async Task<string> RegisterAsync(HttpClient client, WebhookReceiver receiver, params string[] events)
    {
        (int status, JsonElement body) = await client.PostAsync("/v1/webhook-endpoints", new { url = receiver.Url, events });
        Assert.True(status == 201, body.ToString());
        receiver.Secret = body.Str("secret");
        receiver.Now = Clock.GetUtcNow;
        return body.GetProperty("endpoint").Str("id");
    }

    /// <summary>Waits (real time, at most 30 s) until <paramref name="condition"/> holds: delivery runs in the background.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            await Task.Delay(20);
        }
    }

    public static Task EventuallyAsync(Func<bool> condition, string what) => EventuallyAsync(() => Task.FromResult(condition()), what);

    /// <summary>Waits until the dispatcher has run <paramref name="rounds"/> more rounds, so whatever was due has been tried.</summary>
    public async Task RoundsAsync(int rounds = 2)
    {
        long target = Dispatcher.Rounds + rounds;
        await EventuallyAsync(() => Dispatcher.Rounds >= target, $"{rounds} dispatcher rounds ran");
    }
}

[CollectionDefinition(Name)]
public sealed class WebhookCollection : ICollectionFixture<WebhookFixture>
{
    public const string Name = "webhooks";
}
