using Metering.Grains;
using System.Text.Json.Serialization;
using Metering.Gateway.Infrastructure;
using Metering.Silo.Billing;

namespace Metering.Gateway.Billing;

/// <summary>A re-rating job and what it did.</summary>
public sealed record ReratingJobJson(Guid Id, string Status, IReadOnlyList<string> CustomerIds, string From, string To, int Recomputed, int Adjustments,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error,
    string CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CompletedAt)
{
    public static ReratingJobJson Of(ReratingJob job) => new(job.Id, job.Status.ToWire(), job.CustomerIds, Wire.Time(job.From), Wire.Time(job.To), job.Recomputed,
        job.Adjustments, job.Error, Wire.Time(job.CreatedAt), Wire.Time(job.CompletedAt));
}
