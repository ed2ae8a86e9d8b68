using System.Text.Json;

namespace Metering.Gateway.Infrastructure;

/// <summary>An API error: RFC 9457 problem details with a stable <c>code</c>.</summary>
public sealed record ApiError(int Status, string Code, string Detail, IReadOnlyDictionary<string, string[]>? Errors = null, object? Extra = null)
{
    public static ApiError Invalid(string field, string message) => new(400, Problems.InvalidRequest, message, new Dictionary<string, string[]> { [field] = [message] });

    public static ApiError NotFound(string what) => new(404, "NOT_FOUND", $"{what} was not found.");

    public static ApiError UnknownSubject(string subject) => new(422, "UNKNOWN_SUBJECT", $"No subscription has the subject '{subject}'.");

    public static readonly ApiError Unauthenticated = new(401, "UNAUTHENTICATED", "A valid API key is required: Authorization: Bearer <key>.");

    public IResult ToResult() => Problems.Result(this);
}

public static class Problems
{
    public const string InvalidRequest = "INVALID_REQUEST";
    public const string MethodNotAllowed = "METHOD_NOT_ALLOWED";
    public const string AmountOutOfRange = "AMOUNT_OUT_OF_RANGE";

    private static readonly Dictionary<string, string> s_titles = new()
    {
        ["UNAUTHENTICATED"] = "Authentication required",
        ["INVALID_REQUEST"] = "Invalid request",
        ["TIMESTAMP_SKEW"] = "Timestamp too far in the future",
        ["TIMESTAMP_TOO_OLD"] = "Timestamp too old",
        ["PROPERTIES_TOO_DEEP"] = "Properties nested too deeply",
        ["PAYLOAD_TOO_LARGE"] = "Payload too large",
        ["TOO_MANY_EVENTS"] = "Wrong number of events",
        ["UNKNOWN_SUBJECT"] = "Unknown subject",
        ["DUPLICATE_EVENT"] = "Duplicate event",
        ["IDEMPOTENCY_KEY_REUSED"] = "Idempotency key reused",
        ["NOT_FOUND"] = "Not found",
        [MethodNotAllowed] = "Method not allowed",
        ["ALREADY_EXISTS"] = "Already exists",
        ["UNAVAILABLE"] = "Temporarily unavailable",
        ["PERIOD_CLOSED"] = "Billing period closed",
        ["PRICE_OVERLAP"] = "Overlapping price",
        ["INVOICE_ALREADY_EXISTS"] = "Invoice already exists",
        ["INVOICE_NOT_DRAFT"] = "Invoice is not a draft",
        ["INVOICE_VOIDED"] = "Invoice is voided",
        ["RERATING_IN_PROGRESS"] = "Re-rating in progress",
        [AmountOutOfRange] = "Amount out of range",
    };

    public static IResult Result(ApiError error)
    {
        var body = new Dictionary<string, object?>
        {
            ["type"] = "https://metering.dev/errors/" + error.Code.ToLowerInvariant().Replace('_', '-'),
            ["title"] = s_titles.GetValueOrDefault(error.Code, error.Code),
            ["status"] = error.Status,
            ["code"] = error.Code,
            ["detail"] = error.Detail,
        };
        if (error.Errors is not null)
        {
            body["errors"] = error.Errors;
        }

        if (error.Extra is not null)
        {
            foreach (JsonProperty p in JsonSerializer.SerializeToElement(error.Extra, Wire.Json).EnumerateObject())
            {
                body[p.Name] = p.Value;
            }
        }

        return TypedResults.Json(body, Wire.Json, "application/problem+json", error.Status);
    }
}
