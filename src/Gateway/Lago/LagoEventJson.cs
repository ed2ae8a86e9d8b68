using System.Text.Json;

namespace Metering.Gateway.Lago;

/// <summary>An accepted event in Lago's shape; <c>lago_id</c> is Metering's event id, <c>lago_subscription_id</c> the
/// subscription's id, <c>lago_customer_id</c> its customer's.</summary>
public sealed record LagoEventJson(
    Guid? LagoId,
    string TransactionId,
    string LagoCustomerId,
    string Code,
    string Timestamp,
    JsonElement Properties,
    string LagoSubscriptionId,
    string ExternalSubscriptionId,
    string CreatedAt);
