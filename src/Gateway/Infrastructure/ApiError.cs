using Metering.Silo.ApiKeys;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Infrastructure;

/// <summary>An API error: RFC 9457 problem details with a stable <c>code</c>.</summary>
public sealed record ApiError(int Status, string Code, string Detail, IReadOnlyDictionary<string, string[]>? Errors = null, object? Extra = null)
{
    public static ApiError Invalid(string field, string message) => new(400, Codes.InvalidRequest, message, new Dictionary<string, string[]> { [field] = [message] });

    public static ApiError NotFound(string what) => new(404, Codes.NotFound, $"{what} was not found.");

    public static ApiError UnknownSubject(string subject) => new(422, Codes.UnknownSubject, $"No subscription has the subject '{subject}'.");

    public static ApiError SubscriptionEnded(string subscriptionId)
        => new(409, Codes.SubscriptionEnded, $"Subscription '{subscriptionId}' had ended by the event's time.", Extra: new { subscription_id = subscriptionId });

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
    public ApiProblem ToProblem() => new(this);

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
        public const string SubscriptionEnded = "SUBSCRIPTION_ENDED";
        public const string HasSubscriptions = "CUSTOMER_HAS_SUBSCRIPTIONS";
        public const string CurrencyLocked = "CURRENCY_LOCKED";
        public const string MeterHasEvents = "METER_HAS_EVENTS";
        public const string EventsAfterEnd = "EVENTS_AFTER_END";
        public const string PlanNotCompatible = "PLAN_NOT_COMPATIBLE";
        public const string TimestampSkew = "TIMESTAMP_SKEW";
        public const string TimestampTooOld = "TIMESTAMP_TOO_OLD";
        public const string PropertiesTooDeep = "PROPERTIES_TOO_DEEP";
        public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
        public const string TooManyEvents = "TOO_MANY_EVENTS";
        public const string UnknownSubject = "UNKNOWN_SUBJECT";
        public const string DuplicateEvent = "DUPLICATE_EVENT";
        public const string IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED";
        public const string AlreadyExists = "ALREADY_EXISTS";
        public const string Unavailable = "UNAVAILABLE";
        public const string PeriodClosed = "PERIOD_CLOSED";
        public const string PriceOverlap = "PRICE_OVERLAP";
        public const string InvoiceAlreadyExists = "INVOICE_ALREADY_EXISTS";
        public const string InvoiceNotDraft = "INVOICE_NOT_DRAFT";
        public const string InvoiceVoided = "INVOICE_VOIDED";
        public const string ReratingInProgress = "RERATING_IN_PROGRESS";
        public const string Internal = "INTERNAL";
        public const string UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE";
        public const string WebhookUrlRefused = "WEBHOOK_URL_REFUSED";
        public const string WebhookDeliveryDelivered = "WEBHOOK_DELIVERY_DELIVERED";
    }
}
