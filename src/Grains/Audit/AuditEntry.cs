namespace Metering.Grains.Audit;

/// <summary>One audited action of a tenant. <see cref="DetailsJson"/> is a JSON object.</summary>
public sealed record AuditEntry(string TenantId, DateTimeOffset At, string Action, string Actor, string? Subject, string DetailsJson, long Id = 0);
