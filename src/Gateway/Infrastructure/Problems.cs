using System.Text.Json;
using Metering.Silo.ApiKeys;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Infrastructure;

public static class Problems
{
    private static readonly Dictionary<string, string> s_titles = new()
    {
        [ApiError.Codes.Unauthenticated] = "Authentication required",
        [ApiError.Codes.Forbidden] = "Scope required",
        [ApiError.Codes.RateLimited] = "Rate limit exceeded",
        [ApiError.Codes.InvalidRequest] = "Invalid request",
        [ApiError.Codes.TimestampSkew] = "Timestamp too far in the future",
        [ApiError.Codes.TimestampTooOld] = "Timestamp too old",
        [ApiError.Codes.PropertiesTooDeep] = "Properties nested too deeply",
        [ApiError.Codes.PayloadTooLarge] = "Payload too large",
        [ApiError.Codes.TooManyEvents] = "Wrong number of events",
        [ApiError.Codes.UnknownSubject] = "Unknown subject",
        [ApiError.Codes.DuplicateEvent] = "Duplicate event",
        [ApiError.Codes.IdempotencyKeyReused] = "Idempotency key reused",
        [ApiError.Codes.NotFound] = "Not found",
        [ApiError.Codes.MethodNotAllowed] = "Method not allowed",
        [ApiError.Codes.AlreadyExists] = "Already exists",
        [ApiError.Codes.Unavailable] = "Temporarily unavailable",
        [ApiError.Codes.PeriodClosed] = "Billing period closed",
        [ApiError.Codes.PriceOverlap] = "Overlapping price",
        [ApiError.Codes.InvoiceAlreadyExists] = "Invoice already exists",
        [ApiError.Codes.InvoiceNotDraft] = "Invoice is not a draft",
        [ApiError.Codes.InvoiceVoided] = "Invoice is voided",
        [ApiError.Codes.ReratingInProgress] = "Re-rating in progress",
        [ApiError.Codes.SignatureInvalid] = "Invalid signature",
        [ApiError.Codes.SignatureRequired] = "Signature required",
        [ApiError.Codes.SignatureSubjectMismatch] = "Key not registered for the subject",
        [ApiError.Codes.NonceReused] = "Nonce reused",
        [ApiError.Codes.SignatureAlgorithmUnsupported] = "Signature algorithm unsupported",
        [ApiError.Codes.AmountOutOfRange] = "Amount out of range",
        [ApiError.Codes.SubscriptionEnded] = "Subscription ended",
        [ApiError.Codes.HasSubscriptions] = "Customer has subscriptions",
        [ApiError.Codes.CurrencyLocked] = "Currency cannot change",
        [ApiError.Codes.MeterHasEvents] = "Meter has events",
        [ApiError.Codes.EventsAfterEnd] = "Events accepted after the end",
        [ApiError.Codes.PlanNotCompatible] = "Plan not compatible",
        [ApiError.Codes.Internal] = "Internal error",
        [ApiError.Codes.UnsupportedMediaType] = "Unsupported media type",
        [ApiError.Codes.WebhookUrlRefused] = "Webhook URL refused",
        [ApiError.Codes.WebhookDeliveryDelivered] = "Webhook delivery already delivered",
    };

    /// <summary>Every problem code with its title (the OpenAPI document lists them).</summary>
    public static IReadOnlyDictionary<string, string> Titles => s_titles;

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
