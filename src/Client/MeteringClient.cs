using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Metering.Client;

/// <summary>A typed HTTP client for the Metering API: events, usage and quotas.</summary>
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

    /// <summary>Creates or replaces a quota, e.g. <c>new { limit = "1000", period = "hour", overflow = "block" }</c>.</summary>
    public Task<(int Status, JsonElement Body)> PutQuotaAsync(string subscriptionId, string meter, object definition, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Put, QuotaPath(subscriptionId, meter), definition, cancellationToken);

    /// <summary>A quota with its current usage.</summary>
    public Task<(int Status, JsonElement Body)> GetQuotaAsync(string subscriptionId, string meter, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Get, QuotaPath(subscriptionId, meter), null, cancellationToken);

    /// <summary>Adjusts credits: <c>new { set = "100" }</c>, <c>new { increment = "10" }</c> or <c>new { decrement = "10" }</c>.</summary>
    public Task<(int Status, JsonElement Body)> AdjustCreditsAsync(string subscriptionId, string meter, object adjustment, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Patch, QuotaPath(subscriptionId, meter), adjustment, cancellationToken);

    /// <summary>May <paramref name="subject"/> use <paramref name="amount"/> more of <paramref name="meter"/>? Consumes nothing.</summary>
    public async Task<QuotaCheck> CheckQuotaAsync(string subject, string meter, decimal amount = 1, CancellationToken cancellationToken = default)
    {
        string path = $"/v1/quotas/check?subject={Uri.EscapeDataString(subject)}&meter={Uri.EscapeDataString(meter)}&amount={amount.ToString(CultureInfo.InvariantCulture)}";
        (int status, JsonElement body) = await SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        EnsureOk(status, body);
        return new QuotaCheck(body.GetProperty("decision").GetString() == "allow", OptionalString(body, "reason"), Number(body, "limit")!.Value,
            Number(body, "used")!.Value, Number(body, "remaining")!.Value, Number(body, "overage"),
            OptionalString(body, "resets_at") is { } resets ? DateTimeOffset.Parse(resets, CultureInfo.InvariantCulture) : null);
    }

    /// <summary>Consumes <paramref name="amount"/> if the quota allows it (the authorization call); a retry with the same
    /// <paramref name="idempotencyKey"/> gets the first decision.</summary>
    public async Task<ConsumeDecision> ConsumeAsync(string subject, string meter, decimal amount = 1, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        (int status, JsonElement body) = await SendAsync(HttpMethod.Post, "/v1/quotas/consume",
            new { subject, meter, amount = amount.ToString(CultureInfo.InvariantCulture), idempotency_key = idempotencyKey }, cancellationToken).ConfigureAwait(false);
        EnsureOk(status, body);
        return new ConsumeDecision(body.GetProperty("allowed").GetBoolean(), Number(body, "quota_remaining")!.Value, OptionalString(body, "denial_reason"), Number(body, "overage"));
    }

    /// <summary>POSTs JSON to any API path.</summary>
    public Task<(int Status, JsonElement Body)> PostAsync(string path, object body, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, path, body, cancellationToken);

    private async Task<(int Status, JsonElement Body)> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        HttpResponseMessage response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return ((int)response.StatusCode, await ReadAsync(response, cancellationToken).ConfigureAwait(false));
    }

    private static string QuotaPath(string subscriptionId, string meter)
        => $"/v1/subscriptions/{Uri.EscapeDataString(subscriptionId)}/quotas/{Uri.EscapeDataString(meter)}";

    private static void EnsureOk(int status, JsonElement body)
    {
        if (status != 200)
        {
            throw new MeteringApiException(status, body.ValueKind == JsonValueKind.Object && body.TryGetProperty("code", out JsonElement code) ? code.GetString() : null, body.ToString());
        }
    }

    private static string? OptionalString(JsonElement body, string name)
        => body.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static decimal? Number(JsonElement body, string name)
        => OptionalString(body, name) is { } text ? decimal.Parse(text, CultureInfo.InvariantCulture) : null;

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return bytes.Length == 0 ? default : JsonDocument.Parse(bytes).RootElement.Clone();
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
