using Metering.Runtime;

namespace Metering.Silo.Billing;

public sealed record ReratingJob(Guid Id, IReadOnlyList<string> CustomerIds, DateTimeOffset From, DateTimeOffset To, JobStatus Status, int Recomputed, int Adjustments, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt);
