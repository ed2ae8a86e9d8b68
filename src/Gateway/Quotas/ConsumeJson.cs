using System.Text.Json.Serialization;

namespace Metering.Gateway.Quotas;

/// <summary>The answer of a consume: allowed (with any overage) or denied (with the reason).</summary>
public sealed record ConsumeJson(
    bool Allowed,
    string QuotaRemaining,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Overage,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DenialReason);
