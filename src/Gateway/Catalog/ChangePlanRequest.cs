using Metering.Gateway.Infrastructure;
using Metering.Silo.Subscriptions;

namespace Metering.Gateway.Catalog;

/// <summary><c>POST /v1/subscriptions/{id}/change-plan</c>: <c>{"plan", "at"?: "now" | "period_end" | RFC 3339 on a whole UTC hour,
/// "quotas"?: "carry_over" | "reset"}</c> (defaults now and carry_over).</summary>
public sealed record ChangePlanRequest(PlanChangeRequest Change) : IJsonRequest<ChangePlanRequest>
{
    public static ChangePlanRequest? Read(JsonBody body, HttpContext http)
    {
        string? plan = body.String("plan", true, 128);
        DateTimeOffset? instant = null;
        string at = body.String("at", false, 64, v => v is "now" or "period_end" || (Wire.TryParseTime(v, out DateTimeOffset t) && (instant = t.ToUniversalTime()) is { } i
            && i.UtcTicks % TimeSpan.TicksPerHour == 0), "'at' must be \"now\", \"period_end\" or a whole UTC hour (RFC 3339).") ?? "now";
        string quotas = body.String("quotas", false, 16, v => v is "carry_over" or "reset", "'quotas' must be \"carry_over\" or \"reset\".") ?? "carry_over";
        return body.HasErrors ? null : new ChangePlanRequest(new PlanChangeRequest(plan!, at == "period_end", quotas == "reset", instant));
    }
}
