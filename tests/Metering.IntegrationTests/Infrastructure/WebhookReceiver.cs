using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Metering.Grains.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>A webhook receiver on loopback (Kestrel, a port of its own): it records every request it is sent (body, whether
/// the signature verifies under the secret it is given, the notification's id and type) and answers as the test sets it:
/// 200, 503 while <see cref="Down"/> or for the next <see cref="FailNext"/> requests, and holding each request while
/// <see cref="Hold"/> is set.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private int _failNext;

    private WebhookReceiver(WebApplication app)
    {
        _app = app;
    }

    public string Url => _app.Urls.First() + "/hooks";

    /// <summary>The endpoint's secret, for checking signatures (set after the endpoint is registered).</summary>
    public string? Secret { get; set; }

    /// <summary>The signature's timestamp is checked against this clock (the server's webhook clock).</summary>
    public Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UtcNow;

    public bool Down { get; set; }

    public int FailNext
    {
        get => Volatile.Read(ref _failNext);
        set => Volatile.Write(ref _failNext, value);
    }

    /// <summary>Requests wait for this gate before they are answered (null: answered at once).</summary>
    public TaskCompletionSource? Hold { get; set; }

    /// <summary>Requests that arrived and are waiting on <see cref="Hold"/>.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    private int _waiting;

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    /// <summary>The requests answered 2xx.</summary>
    public IReadOnlyList<ReceivedWebhook> Accepted => [.. _received.Where(r => r.Status == 200)];

    public static async Task<WebhookReceiver> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        WebApplication app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks", (Delegate)receiver.HandleAsync);
        await app.StartAsync();
        return receiver;
    }

    private async Task<IResult> HandleAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        string body = await reader.ReadToEndAsync();
        string signature = http.Request.Headers[WebhookSignature.Header].ToString();
        bool verified = Secret is { } secret && WebhookSignature.Verify(Encoding.UTF8.GetBytes(secret), signature, body, Now(), TimeSpan.FromMinutes(5));
        using JsonDocument document = JsonDocument.Parse(body);
        string id = document.RootElement.GetProperty("id").GetString()!;
        string type = document.RootElement.GetProperty("type").GetString()!;
        if (Hold is { } hold)
        {
            Interlocked.Increment(ref _waiting);
            await hold.Task;
            Interlocked.Decrement(ref _waiting);
        }

        bool fail = Down || Interlocked.Decrement(ref _failNext) >= 0;
        int status = fail ? 503 : 200;
        _received.Enqueue(new ReceivedWebhook(id, type, body, verified, status, document.RootElement.GetProperty("data").Clone(), signature));
        return Results.StatusCode(status);
    }

    public async ValueTask DisposeAsync()
    {
        Hold?.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One request a <see cref="WebhookReceiver"/> was sent, and what it answered.</summary>
public sealed record ReceivedWebhook(string Id, string Type, string Body, bool Verified, int Status, JsonElement Data, string Signature);
