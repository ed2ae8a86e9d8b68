namespace Metering.Gateway.Lago;

/// <summary><c>{"customer_usage":{...}}</c>: a subscription's current period priced by its plan's price book, in Lago's shape
/// (amounts in the currency's minor unit).</summary>
public sealed record CustomerUsageJson(CustomerUsageObjectJson CustomerUsage);
