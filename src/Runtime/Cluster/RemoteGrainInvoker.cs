using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Metering.Runtime;

/// <summary>Sends grain calls to the silo that owns the grain's partition, over the silos' internal HTTP endpoint (keep-alive
/// connections, compact JSON, the cluster token). When the owner refuses the call (it no longer owns the partition, or is not
/// serving yet) or cannot be reached before the call was sent, the directory is refreshed and the call tried again, until
/// <see cref="SiloOptions.ForwardRetryWindow"/> runs out. A call that may have run is not repeated unless it is read-only: its
/// caller decides, and the idempotency key makes a retry exact.</summary>
public sealed class RemoteGrainInvoker : IGrainCallInvoker, IDisposable
{
    /// <summary>The path of the internal endpoint that takes grain calls.</summary>
    public const string CallPath = "/internal/grains";

    private static readonly TimeSpan[] s_backoff = [.. new[] { 5, 20, 50, 100, 200, 300, 500 }.Select(ms => TimeSpan.FromMilliseconds(ms))];
    private readonly ClusterDirectory _directory;
    private readonly ClusterCredential _credential;
    private readonly HttpClient _http;
    private readonly TimeSpan _retryWindow;
    private readonly ILogger _logger;
    private long _forwarded;
    private long _retried;

    /// <summary>An invoker that routes by <paramref name="directory"/> and authenticates with <paramref name="credential"/>.</summary>
    public RemoteGrainInvoker(ClusterDirectory directory, ClusterCredential credential, SiloOptions options, ILogger<RemoteGrainInvoker> logger)
        : this(directory, credential, options.ForwardRetryWindow, options.ForwardTimeout, logger)
    {
    }

    /// <summary>An invoker for a client outside the silos: retries within <paramref name="retryWindow"/>, each call at most
    /// <paramref name="timeout"/>.</summary>
    public RemoteGrainInvoker(ClusterDirectory directory, ClusterCredential credential, TimeSpan retryWindow, TimeSpan timeout, ILogger logger)
    {
        _directory = directory;
        _credential = credential;
        _retryWindow = retryWindow;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            MaxConnectionsPerServer = 256,
        })
        {
            Timeout = timeout,
        };
    }

    /// <summary>Calls sent to another silo, and calls sent again after a refusal, since start.</summary>
    public (long Forwarded, long Retried) Counts => (Interlocked.Read(ref _forwarded), Interlocked.Read(ref _retried));

    /// <summary>The directory this invoker routes by.</summary>
    public ClusterDirectory Directory => _directory;

    async Task<T> IGrainCallInvoker.InvokeAsync<T>(GrainReference reference, MethodDescriptor method, object?[] args)
    {
        byte[] body = GrainCallCodec.EncodeCall(reference.Id.Key, method, args);
        string path = $"{CallPath}/{Uri.EscapeDataString(reference.Id.Interface.FullName!)}/{method.Method.Name}";
        long started = Stopwatch.GetTimestamp();
        Exception? last = null;
        for (int attempt = 0; ; attempt++)
        {
            if (attempt > 0)
            {
                if (Stopwatch.GetElapsedTime(started) > _retryWindow)
                {
                    throw new ClusterUnavailableException($"No silo took the call to {reference.Id} within {_retryWindow.TotalSeconds:0} s.", last);
                }

                Interlocked.Increment(ref _retried);
                await Task.Delay(s_backoff[Math.Min(attempt - 1, s_backoff.Length - 1)]).ConfigureAwait(false);
                await RefreshQuietlyAsync().ConfigureAwait(false);
            }

            PartitionOwner? owner = _directory.OwnerOf(reference.Partition);
            if (owner is null)
            {
                last = new ClusterUnavailableException($"Partition {reference.Partition} has no owner now.");
                continue;
            }

            // A silo that has just claimed partitions may not have published its address yet: nothing was sent, try again.
            if (!Uri.TryCreate(owner.Address, UriKind.Absolute, out _))
            {
                last = new ClusterUnavailableException($"Silo {owner.SiloId} owns partition {reference.Partition} but has not published its address yet.");
                continue;
            }

            (bool retry, T result, Exception? error) = await SendAsync<T>(owner, path, body, method.ReadOnly).ConfigureAwait(false);
            if (!retry)
            {
                return error is null ? result : throw error;
            }

            last = error;
        }
    }

    private async Task<(bool Retry, T Result, Exception? Error)> SendAsync<T>(PartitionOwner owner, string path, byte[] body, bool readOnly)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, owner.Address.TrimEnd('/') + path)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue(GrainCallCodec.ContentType) } },
        };
        request.Headers.Add(ClusterCredential.Header, _credential.Token);
        Interlocked.Increment(ref _forwarded);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (readOnly || NeverSent(ex))
        {
            return (true, default!, ex);
        }
        catch (TaskCanceledException ex) when (readOnly)
        {
            return (true, default!, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return (false, default!, new ClusterUnavailableException($"The call to silo {owner.SiloId} failed after it was sent: {ex.Message}", ex));
        }

        using (response)
        {
            byte[] payload = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    return (false, GrainCallCodec.DecodeResult<T>(payload), null);
                case HttpStatusCode.MisdirectedRequest or HttpStatusCode.ServiceUnavailable:
                    return (true, default!, new ClusterUnavailableException($"Silo {owner.SiloId} refused the call ({(int)response.StatusCode})."));
                case HttpStatusCode.InternalServerError:
                    RemoteError error = GrainCallCodec.DecodeError(payload);
                    return (false, default!, Rethrown(error));
                default:
                    _logger.LogWarning("Silo {Silo} answered {Status} to a grain call", owner.SiloId, (int)response.StatusCode);
                    return (false, default!, new ClusterUnavailableException($"Silo {owner.SiloId} answered {(int)response.StatusCode} to a grain call."));
            }
        }
    }

    /// <summary>The exception to raise for one a grain threw remotely: the same type where callers handle it.</summary>
    private static Exception Rethrown(RemoteError error) => error.Type switch
    {
        "System.InvalidOperationException" => new InvalidOperationException(error.Message),
        "System.ArgumentException" => new ArgumentException(error.Message),
        "Metering.Runtime.InconsistentStateException" => new InconsistentStateException(error.Message),
        _ => new RemoteGrainException(error.Type, error.Message),
    };

    /// <summary>The request cannot have reached the silo: the connection was refused or could not be made.</summary>
    private static bool NeverSent(HttpRequestException ex)
        => ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
           || ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };

    private async Task RefreshQuietlyAsync()
    {
        try
        {
            await _directory.RefreshAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "Directory refresh failed");
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
