using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Metering.LoadGen;

/// <summary>A webhook receiver on loopback that answers 200 at once (after <see cref="Gate"/> opens) and counts the distinct
/// notification ids per endpoint path.</summary>
internal sealed class FastReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte> _ids = new();
    private long _requests;

    private FastReceiver(WebApplication app) => _app = app;

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Url => _app.Urls.First();

    public int Distinct => _ids.Count;

    public long Requests => Interlocked.Read(ref _requests);

    public static async Task<FastReceiver> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        WebApplication app = builder.Build();
        var receiver = new FastReceiver(app);
        app.MapPost("/{endpoint}", (Delegate)receiver.HandleAsync);
        await app.StartAsync();
        return receiver;
    }

    private async Task<IResult> HandleAsync(string endpoint, HttpContext http)
    {
        await Gate.Task;
        using JsonDocument body = await JsonDocument.ParseAsync(http.Request.Body);
        _ids.TryAdd(endpoint + "/" + body.RootElement.GetProperty("id").GetString(), 0);
        Interlocked.Increment(ref _requests);
        return Results.Ok();
    }

    public async ValueTask DisposeAsync()
    {
        Gate.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
