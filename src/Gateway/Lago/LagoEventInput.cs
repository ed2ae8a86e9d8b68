using System.Globalization;
using System.Text.Json;
using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Lago;

/// <summary>One event as Lago's clients send it: <c>{"transaction_id","external_subscription_id","code","timestamp"?,
/// "properties"?}</c>, <c>timestamp</c> in Unix seconds as an integer, a float or a numeric string.</summary>
public sealed record LagoEventInput(string TransactionId, string ExternalSubscriptionId, string Code, DateTimeOffset? Timestamp, JsonElement? Properties)
{
    public const int MaxIdLength = 120;

    /// <summary>The event, or what is wrong with its fields in Lago's words.</summary>
    public static (LagoEventInput? Event, Dictionary<string, string[]>? Errors) Read(JsonElement json)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (json.ValueKind != JsonValueKind.Object)
        {
            return (null, new() { ["event"] = [LagoError.Details.InvalidFormat] });
        }

        string? transactionId = Text(json, "transaction_id", errors);
        string? subscriptionId = Text(json, "external_subscription_id", errors);
        string? code = Text(json, "code", errors);
        DateTimeOffset? timestamp = null;
        if (JsonBody.TryGetMember(json, "timestamp", out JsonElement ts) && ts.ValueKind != JsonValueKind.Null)
        {
            timestamp = UnixSeconds(ts);
            if (timestamp is null)
            {
                errors["timestamp"] = [LagoError.Details.InvalidFormat];
            }
        }

        JsonElement? properties = JsonBody.TryGetMember(json, "properties", out JsonElement p) && p.ValueKind != JsonValueKind.Null ? p : null;
        return errors.Count > 0 ? (null, errors) : (new LagoEventInput(transactionId!, subscriptionId!, code!, timestamp, properties), null);
    }

    /// <summary>Lago keys a transaction per subscription; Metering keys events per tenant. The key holds both, the
    /// subscription's length first, so the same transaction id in two subscriptions is two events and no two pairs collide.</summary>
    public string IdempotencyKey => $"lago:{ExternalSubscriptionId.Length}:{ExternalSubscriptionId}:{TransactionId}";

    private static DateTimeOffset? UnixSeconds(JsonElement value)
    {
        decimal seconds;
        bool ok = value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetDecimal(out seconds),
            JsonValueKind.String => decimal.TryParse(value.GetString(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out seconds),
            _ => (seconds = 0) != 0,
        };
        if (!ok || seconds < 0 || seconds > 253402300799m)
        {
            return null;
        }

        return DateTimeOffset.UnixEpoch.AddTicks((long)decimal.Round(seconds * TimeSpan.TicksPerSecond));
    }

    private static string? Text(JsonElement json, string name, Dictionary<string, string[]> errors)
    {
        if (!JsonBody.TryGetMember(json, name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            errors[name] = [LagoError.Details.ValueIsMandatory];
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || StorableText.Of(value, invalidUtf8IsReplaced: false) is not null
            || value.GetString()!.Length is 0 or > MaxIdLength)
        {
            errors[name] = [LagoError.Details.InvalidFormat];
            return null;
        }

        return value.GetString();
    }
}
