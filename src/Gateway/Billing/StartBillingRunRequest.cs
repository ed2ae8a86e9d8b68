using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Billing;

/// <summary><c>POST /v1/billing-runs</c>: <c>{"period_end_before"}</c>.</summary>
public sealed record StartBillingRunRequest(DateTimeOffset PeriodEndBefore) : IJsonRequest<StartBillingRunRequest>
{
    public static StartBillingRunRequest? Read(JsonBody body, HttpContext http)
    {
        DateTimeOffset? before = body.Time("period_end_before", true);
        return body.HasErrors ? null : new StartBillingRunRequest(before!.Value);
    }
}
