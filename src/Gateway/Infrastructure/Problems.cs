using System.Text.Json;
using Metering.Silo.ApiKeys;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Infrastructure;

/// <summary>An API error: RFC 9457 problem details with a stable <c>code</c>.</summary>
public sealed record ApiError(int Status, string Code, string Detail, IReadOnlyDictionary<string, string[]>? Errors = null, object? Extra = null)
{
    public static ApiError Invalid(string field, string message) => new(400, Codes.InvalidRequest, message, new Dictionary<string, string[]> { [field] = [message] });

    public static ApiError NotFound(string what) => new(404, Codes.NotFound, $"{what} was not found.");

    public static ApiError UnknownSubject(string subject) => new(422, "UNKNOWN_SUBJECT", $"No subscription has the subject '{subject}'.");

    public static readonly ApiError Unauthenticated = new(401, Codes.Unauthenticated, "A valid API key is required: Authorization: Bearer <key>.");

    public static readonly ApiError KeyRevoked = new(401, Codes.Unauthenticated, "This API key was revoked.");

    public static readonly ApiError KeyExpired = new(401, Codes.Unauthenticated, "This API key has expired.");

    /// <summary>A key without the scope an endpoint needs; the detail names the scope, so the caller knows which key to use.</summary>
    public static ApiError Forbidden(ApiScopes needed)
        => new(403, Codes.Forbidden, $"This API key lacks the '{string.Join("', '", needed.ToNames())}' scope this endpoint requires.",
            Extra: new { required_scope = string.Join(" ", needed.ToNames()) });

    public static ApiError RateLimited(int retryAfterSeconds)
        => new(429, Codes.RateLimited, $"This API key is over its rate limit; retry in {retryAfterSeconds} s.");

    public IResult ToResult() => Problems.Result(this);

    /// <summary>The problem as a typed result, for handlers whose signature lists their answers.</summary>
    public JsonHttpResult<Dictionary<string, object?>> ToProblem() => Problems.Result(this);

    /// <summary>Stable codes of problems (the <c>code</c> field).</summary>
    public static class Codes
    {
        public const string Unauthenticated = "UNAUTHENTICATED";
        public const string Forbidden = "FORBIDDEN";
        public const string RateLimited = "RATE_LIMITED";
        public const string InvalidRequest = "INVALID_REQUEST";
        public const string NotFound = "NOT_FOUND";
        public const string MethodNotAllowed = "METHOD_NOT_ALLOWED";
        public const string AmountOutOfRange = "AMOUNT_OUT_OF_RANGE";
        public const string SignatureInvalid = "SIGNATURE_INVALID";
        public const string SignatureRequired = "SIGNATURE_REQUIRED";
        public const string SignatureSubjectMismatch = "SIGNATURE_SUBJECT_MISMATCH";
        public const string NonceReused = "NONCE_REUSED";
        public const string SignatureAlgorithmUnsupported = "SIGNATURE_ALGORITHM_UNSUPPORTED";
        public const string WebhookUrlRefused = "WEBHOOK_URL_REFUSED";
        public const string WebhookDeliveryDelivered = "WEBHOOK_DELIVERY_DELIVERED";
    }
}

public static class Problems
{
    private static readonly Dictionary<string, string> s_titles = new()
    {
        ["UNAUTHENTICATED"] = "Authentication required",
        ["FORBIDDEN"] = "Scope required",
        ["RATE_LIMITED"] = "Rate limit exceeded",
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
        [ApiError.Codes.MethodNotAllowed] = "Method not allowed",
        ["ALREADY_EXISTS"] = "Already exists",
        ["UNAVAILABLE"] = "Temporarily unavailable",
        ["PERIOD_CLOSED"] = "Billing period closed",
        ["PRICE_OVERLAP"] = "Overlapping price",
        ["INVOICE_ALREADY_EXISTS"] = "Invoice already exists",
        ["INVOICE_NOT_DRAFT"] = "Invoice is not a draft",
        ["INVOICE_VOIDED"] = "Invoice is voided",
        ["RERATING_IN_PROGRESS"] = "Re-rating in progress",
        [ApiError.Codes.SignatureInvalid] = "Invalid signature",
        [ApiError.Codes.SignatureRequired] = "Signature required",
        [ApiError.Codes.SignatureSubjectMismatch] = "Key not registered for the subject",
        [ApiError.Codes.NonceReused] = "Nonce reused",
        [ApiError.Codes.SignatureAlgorithmUnsupported] = "Signature algorithm unsupported",
        [ApiError.Codes.AmountOutOfRange] = "Amount out of range",
        [ApiError.Codes.WebhookUrlRefused] = "Webhook URL refused",
        [ApiError.Codes.WebhookDeliveryDelivered] = "Webhook delivery already delivered",
    };

    public static JsonHttpResult<Dictionary<string, object?>> Result(ApiError error)
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
