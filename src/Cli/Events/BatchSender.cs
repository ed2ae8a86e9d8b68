using System.Text.Json;
using System.Text.Json.Nodes;
using Metering.Cli.Api;

namespace Metering.Cli.Events;

/// <summary>Sends one batch to <c>POST /v1/events/batch</c> until the server has answered for every event: events that met
/// a transient failure (5xx, 429, the connection) are sent again, with the same idempotency keys, so none is counted twice.
/// Returns null when the server stayed unavailable through every attempt.</summary>
public sealed class BatchSender(ApiClient api)
{
    public const int MaxAttempts = 6;
    public const string DuplicateCode = "DUPLICATE_EVENT";

    private static readonly TimeSpan[] s_backoff = [TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)];

    public async Task<SendTally?> SendAsync(IReadOnlyList<JsonObject> events, CancellationToken ct)
    {
        List<int> pending = [.. Enumerable.Range(0, events.Count)];
        long stored = 0, duplicates = 0;
        var rejected = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int attempt = 0; attempt < MaxAttempts && pending.Count > 0; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(s_backoff[Math.Min(attempt - 1, s_backoff.Length - 1)], ct);
            }

            ApiResponse? response = await PostAsync(pending.Select(i => events[i]), ct);
            if (response is null || response.IsTransient)
            {
                continue;
            }

            if (response.Status != 207)
            {
                response.Expect(); // 401/403 and other refusals of the whole request stop the command with their exit code
                throw new CliFailure(ExitCodes.Refused, $"HTTP {response.Status}: the batch was not judged.");
            }

            var retry = new List<int>();
            foreach (JsonElement result in response.Body.GetProperty("results").EnumerateArray())
            {
                int index = pending[result.GetProperty("index").GetInt32()];
                int status = result.GetProperty("status").GetInt32();
                string? code = result.TryGetProperty("code", out JsonElement c) ? c.GetString() : null;
                if (status == 201)
                {
                    stored++;
                }
                else if (code == DuplicateCode)
                {
                    duplicates++;
                }
                else if (status >= 500 || status == 429)
                {
                    retry.Add(index);
                }
                else
                {
                    rejected[code ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = rejected.GetValueOrDefault(code ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture)) + 1;
                }
            }

            pending = retry;
        }

        return pending.Count == 0 ? new SendTally(stored, duplicates, rejected) : null;
    }

    private async Task<ApiResponse?> PostAsync(IEnumerable<JsonObject> events, CancellationToken ct)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["events"] = new JsonArray([.. events.Select(e => e.DeepClone())]) });
        try
        {
            return await api.PostOnceAsync("/v1/events/batch", body, ct);
        }
        catch (CliFailure failure) when (failure.ExitCode == ExitCodes.ServerError)
        {
            return null;
        }
    }
}
