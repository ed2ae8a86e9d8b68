using System.Text.Json.Serialization;

namespace Metering.Gateway.Lago;

/// <summary>An error in Lago's shape: <c>{"status","error","code","error_details"?}</c>. Lago's clients read this, not
/// problem details; <see cref="Codes"/> and <see cref="Details"/> are Lago's own words.</summary>
public sealed record LagoError(
    int Status,
    string Error,
    string Code,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, object>? ErrorDetails)
{
    public static LagoError Validation(IReadOnlyDictionary<string, object> details) => new(422, "Unprocessable Entity", Codes.ValidationErrors, details);

    public static LagoError NotFound(string code) => new(404, "Not Found", code, null);

    public static class Codes
    {
        public const string ValidationErrors = "validation_errors";
        public const string SubscriptionNotFound = "subscription_not_found";
        public const string CustomerNotFound = "customer_not_found";
    }

    /// <summary>Lago's words for what is wrong with a field.</summary>
    public static class Details
    {
        public const string ValueIsMandatory = "value_is_mandatory";
        public const string InvalidFormat = "invalid_format";
        public const string ValueAlreadyExist = "value_already_exist";
        public const string MetricNotFound = "metric_not_found";
        public const string SubscriptionNotFound = "subscription_not_found";
        public const string TooManyEvents = "too_many_events";
    }
}
