using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Metering.Client;

/// <summary>A typed HTTP client for the Metering API (events and usage).</summary>
public sealed class MeteringClient : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>A client for the service at <paramref name="baseAddress"/> using <paramref name="apiKey"/>.</summary>
    public MeteringClient(Uri baseAddress, string apiKey, HttpMessageHandler? handler = null)
    {
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = baseAddress;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    /// <summary>The underlying HTTP client.</summary>
    public HttpClient Http => _http;

    /// <summary>Sends one event; returns the HTTP status and the JSON body.</summary>
    public Task<(int Status, JsonElement Body)> SendEventAsync(object @event, CancellationToken cancellationToken = default)
        => PostAsync("/v1/events", @event, cancellationToken);

    /// <summary>Sends up to 1000 events in one request; returns the HTTP status (207) and the per-event results.</summary>
    public Task<(int Status, JsonElement Body)> SendBatchAsync(IEnumerable<object> events, CancellationToken cancellationToken = default)
        => PostAsync("/v1/events/batch", new { events }, cancellationToken);

    /// <summary>Usage of a subscription's meter; <paramref name="query"/> holds extra query parameters such as window=hour.</summary>
    public async Task<(int Status, JsonElement Body)> GetUsageAsync(string subscriptionId, string meter, string? query = null, CancellationToken cancellationToken = default)
    {
        HttpResponseMessage response = await _http.GetAsync($"/v1/subscriptions/{Uri.EscapeDataString(subscriptionId)}/usage?meter={Uri.EscapeDataString(meter)}{(query is null ? "" : "&" + query)}", cancellationToken).ConfigureAwait(false);
        return ((int)response.StatusCode, await ReadAsync(response, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>POSTs JSON to any API path.</summary>
    public async Task<(int Status, JsonElement Body)> PostAsync(string path, object body, CancellationToken cancellationToken = default)
    {
        HttpResponseMessage response = await _http.PostAsJsonAsync(path, body, cancellationToken).ConfigureAwait(false);
        return ((int)response.StatusCode, await ReadAsync(response, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return bytes.Length == 0 ? default : JsonDocument.Parse(bytes).RootElement.Clone();
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
