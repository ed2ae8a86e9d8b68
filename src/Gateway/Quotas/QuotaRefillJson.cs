namespace Metering.Gateway.Quotas;

/// <summary>A credit refill: <c>{"amount","interval":"day"|"month"}</c>.</summary>
public sealed record QuotaRefillJson(string Amount, string Interval);
