using System.Text.Json;

namespace Metering.Cli.Api;

/// <summary>An answer of the server: its status and JSON body (undefined when empty).</summary>
public sealed record ApiResponse(int Status, JsonElement Body)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>A server failure worth retrying: the request may not have been applied, and retrying with the same
    /// idempotency key is safe.</summary>
    public bool IsTransient => Status is 429 or 502 or 503 or 504 or 500;

    public string? Code => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("code", out JsonElement code) ? code.GetString() : null;

    public string? Detail => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("detail", out JsonElement detail) ? detail.GetString() : null;

    /// <summary>The body, or a failure with the exit code of this kind of answer.</summary>
    public JsonElement Expect()
    {
        if (IsSuccess)
        {
            return Body;
        }

        int exit = Status switch
        {
            401 or 403 => ExitCodes.AuthFailure,
            >= 500 => ExitCodes.ServerError,
            _ => ExitCodes.Refused,
        };
        throw new CliFailure(exit, $"HTTP {Status} {Code}: {Detail ?? Body.ToString()}");
    }
}
