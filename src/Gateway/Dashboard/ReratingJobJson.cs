namespace Metering.Gateway.Dashboard;

public sealed record ReratingJobJson(string TenantId, Guid Id, string Status, IReadOnlyList<string> CustomerIds, string? From, string? To, int Recomputed, int Adjustments, string? Error, string? CreatedAt, string? CompletedAt);
