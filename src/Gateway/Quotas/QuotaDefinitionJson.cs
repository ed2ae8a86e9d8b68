namespace Metering.Gateway.Quotas;

/// <summary>A quota as sent, for the OpenAPI document: decimals as numbers or strings; period minute, hour, day, month,
/// billing_period or none (credits); overflow block or allow_overage; a refill (credits only) of an amount every day or month; thresholds, percentages of the limit notified once per window.</summary>
public sealed record QuotaDefinitionJson(decimal Limit, string Period, string? Overflow, QuotaRefillJson? Refill, IReadOnlyList<decimal>? Thresholds);
