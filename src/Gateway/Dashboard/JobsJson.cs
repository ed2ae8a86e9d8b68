namespace Metering.Gateway.Dashboard;

/// <summary>The latest billing runs and re-rating jobs, newest first.</summary>
public sealed record JobsJson(IReadOnlyList<BillingRunJson> BillingRuns, IReadOnlyList<ReratingJobJson> ReratingJobs);
