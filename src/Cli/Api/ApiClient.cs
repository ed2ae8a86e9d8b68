using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Metering.Cli.Api;

/// <summary>The Metering HTTP API as the CLI uses it: JSON in and out, transient failures retried with backoff. Only
/// requests that are safe to repeat are retried (reads, and writes carrying idempotency keys or naming their resource).</summary>
public sealed class ApiClient : IDisposable
{
    private static readonly TimeSpan[] s_backoff = [TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)];

    private readonly HttpClient _http;

    public ApiClient(Uri baseAddress, string key)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(100) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    }

    public Uri BaseAddress => _http.BaseAddress!;

    public Task<ApiResponse> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, retry: true, ct);

    public Task<ApiResponse> PostAsync(string path, object? body, CancellationToken ct, bool retry = false) => SendAsync(HttpMethod.Post, path, body, retry, ct);

    public Task<ApiResponse> PutAsync(string path, object body, CancellationToken ct) => SendAsync(HttpMethod.Put, path, body, retry: true, ct);

    /// <summary>POSTs JSON bytes once: the caller decides what to send again.</summary>
    public Task<ApiResponse> PostOnceAsync(string path, byte[] json, CancellationToken ct) => SendWithRetryAsync(HttpMethod.Post, path, json, retry: false, ct);

    private Task<ApiResponse> SendAsync(HttpMethod method, string path, object? body, bool retry, CancellationToken ct)
        => SendWithRetryAsync(method, path, body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body), retry, ct);

    private async Task<ApiResponse> SendWithRetryAsync(HttpMethod method, string path, byte[]? json, bool retry, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            bool last = !retry || attempt == s_backoff.Length;
            try
            {
                ApiResponse response = await SendOnceAsync(method, path, json, ct);
                if (!response.IsTransient || last)
                {
                    return response;
                }
            }
            catch (HttpRequestException ex) when (last)
            {
                throw new CliFailure(ExitCodes.ServerError, $"Cannot reach {_http.BaseAddress}: {ex.Message}");
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException ex) when (!ct.IsCancellationRequested && last)
            {
                throw new CliFailure(ExitCodes.ServerError, $"{_http.BaseAddress} did not answer in time: {ex.Message}");
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }

            await Task.Delay(s_backoff[attempt], ct);
        }
    }

    private async Task<ApiResponse> SendOnceAsync(HttpMethod method, string path, byte[]? json, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new ByteArrayContent(json);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = Encoding.UTF8.WebName };
        }

        using HttpResponseMessage response = await _http.SendAsync(request, ct);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(ct);
        JsonElement body = default;
        if (bytes.Length > 0)
        {
            try
            {
                body = JsonDocument.Parse(bytes).RootElement.Clone();
            }
            catch (JsonException)
            {
                body = JsonSerializer.SerializeToElement(Encoding.UTF8.GetString(bytes));
            }
        }

        return new ApiResponse((int)response.StatusCode, body);
    }

    public void Dispose() => _http.Dispose();
}
