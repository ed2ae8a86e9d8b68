using Metering.Grains;
using System.Text.Json.Serialization;
using Metering.Gateway.Infrastructure;
using Metering.Silo.Billing;

namespace Metering.Gateway.Billing;

/// <summary>A billing run and its progress.</summary>
public sealed record BillingRunJson(Guid Id, string PeriodEndBefore, string Status, int Total, int Done, int Failed, int Created, string CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CompletedAt)
{
    public static BillingRunJson Of(BillingRun run) => new(run.Id, Wire.Time(run.PeriodEndBefore), run.Status.ToWire(), run.Total, run.Done, run.Failed, run.Created,
        Wire.Time(run.CreatedAt), Wire.Time(run.CompletedAt));
}
