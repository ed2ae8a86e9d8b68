using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Audit;

namespace Metering.Gateway.Audit;

/// <summary>An audit entry as the API shows it.</summary>
public sealed record AuditEntryJson(string At, string Action, string Actor, string? Subject, JsonElement Details)
{
    public static AuditEntryJson Of(AuditEntry e) => new(Wire.Time(e.At), e.Action, e.Actor, e.Subject, JsonSerializer.Deserialize<JsonElement>(e.DetailsJson));
}
