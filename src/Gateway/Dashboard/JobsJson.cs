namespace Metering.Gateway.Dashboard;

/// <summary>The latest billing runs and re-rating jobs, newest first.</summary>
public sealed record JobsJson(IReadOnlyList<BillingRunJson> BillingRuns, IReadOnlyList<ReratingJobJson> ReratingJobs);

public sealed record BillingRunJson(string TenantId, Guid Id, string Status, string? PeriodEndBefore, int Total, int Done, int Failed, int Created, string? CreatedAt, string? CompletedAt);

public sealed record ReratingJobJson(string TenantId, Guid Id, string Status, IReadOnlyList<string> CustomerIds, string? From, string? To, int Recomputed, int Adjustments, string? Error, string? CreatedAt, string? CompletedAt);
