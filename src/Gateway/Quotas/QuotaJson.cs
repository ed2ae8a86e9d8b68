using System.Text.Json.Serialization;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Quotas;

namespace Metering.Gateway.Quotas;

/// <summary>A quota and where it stands; fields that do not apply are left out.</summary>
public sealed record QuotaJson(
    string SubscriptionId,
    string Meter,
    string Period,
    string Overflow,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] QuotaRefillJson? Refill,
    string Limit,
    string Used,
    string Remaining,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Overage,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ResetsAt,
    IReadOnlyList<string> Thresholds)
{
    public static QuotaJson Of(string subscriptionId, QuotaView view) => new(
        subscriptionId,
        view.Meter,
        view.Definition.Period.ToWire(),
        view.Definition.Overflow.ToWire(),
        view.Definition.Refill is { } refill ? new QuotaRefillJson(Wire.Decimal(refill.Amount), refill.Interval.ToWire()) : null,
        Wire.Decimal(view.Limit),
        Wire.Decimal(view.Used),
        Wire.Decimal(view.Remaining),
        Wire.Decimal(view.Overage),
        Wire.Time(view.ResetsAt),
        [.. (view.Definition.Thresholds ?? QuotaThresholds.Default).Select(Wire.Decimal)]);
}
