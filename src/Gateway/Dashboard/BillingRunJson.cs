namespace Metering.Gateway.Dashboard;

public sealed record BillingRunJson(string TenantId, Guid Id, string Status, string? PeriodEndBefore, int Total, int Done, int Failed, int Created, string? CreatedAt, string? CompletedAt);
