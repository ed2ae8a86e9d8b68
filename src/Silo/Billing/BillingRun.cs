using Metering.Runtime;

namespace Metering.Silo.Billing;

public sealed record BillingRun(Guid Id, DateTimeOffset PeriodEndBefore, JobStatus Status, int Total, int Done, int Failed, int Created, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt);
