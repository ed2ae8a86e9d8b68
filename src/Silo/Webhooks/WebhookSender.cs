using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Metering.Grains.Webhooks;

namespace Metering.Silo.Webhooks;

/// <summary>Sends one signed attempt. The address rule is applied again when each connection is made (a name that resolved
/// to a public address at registration may resolve to a private one later), and redirects are not followed.</summary>
public sealed class WebhookSender : IDisposable
{
    private const int MaxError = 500;

    private readonly HttpClient _client;
    private readonly WebhookOptions _options;

    public WebhookSender(WebhookOptions options)
    {
        _options = options;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = options.Timeout,
            ConnectCallback = ConnectAsync,
        };
        _client = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Metering-Webhooks/1.0");
    }

    /// <summary>Posts <paramref name="body"/> signed at <paramref name="at"/> under each of <paramref name="keys"/>; the attempt's
    /// number is given when it is recorded.</summary>
    public async Task<WebhookAttempt> SendAsync(string url, string body, IReadOnlyList<byte[]> keys, DateTimeOffset at, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.Sign(keys, at, body));
        long start = Stopwatch.GetTimestamp();
        try
        {
            using HttpResponseMessage response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            string? error = status is >= 200 and < 300 ? null : $"The receiver answered {status} {response.ReasonPhrase}.";
            return new WebhookAttempt(0, at, status, Elapsed(start), error);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new WebhookAttempt(0, at, null, Elapsed(start), $"No answer within {_options.Timeout.TotalSeconds} s.");
        }
        catch (HttpRequestException ex)
        {
            string message = ex.InnerException?.Message ?? ex.Message;
            return new WebhookAttempt(0, at, null, Elapsed(start), message.Length > MaxError ? message[..MaxError] : message);
        }
    }

    private static double Elapsed(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        IPAddress[] addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct).ConfigureAwait(false);
        IPAddress[] allowed = [.. addresses.Where(a => WebhookAddressRule.Allowed(a, _options.AllowLoopback, _options.AllowPrivateNetworks))];
        if (allowed.Length == 0)
        {
            throw new HttpRequestException($"'{context.DnsEndPoint.Host}' resolves to no address webhooks may be sent to (private, loopback or reserved).");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _client.Dispose();
}
