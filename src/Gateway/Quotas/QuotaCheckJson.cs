using System.Text.Json.Serialization;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Quotas;

namespace Metering.Gateway.Quotas;

/// <summary>The answer of a quota check: <c>allow</c> or <c>deny</c> (with the reason), and where the quota stands.</summary>
public sealed record QuotaCheckJson(
    string Decision,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason,
    string Limit,
    string Used,
    string Remaining,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Overage,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ResetsAt)
{
    public static QuotaCheckJson Of(QuotaView view) => new(view.Allowed ? "allow" : "deny", view.Allowed ? null : "limit_reached",
        Wire.Decimal(view.Limit), Wire.Decimal(view.Used), Wire.Decimal(view.Remaining), Wire.Decimal(view.Overage), Wire.Time(view.ResetsAt));
}
