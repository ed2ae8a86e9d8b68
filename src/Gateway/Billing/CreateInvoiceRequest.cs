using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Billing;

/// <summary><c>POST /v1/invoices</c>: <c>{"subscription_id","period_start"?}</c>.</summary>
public sealed record CreateInvoiceRequest(string SubscriptionId, DateTimeOffset? PeriodStart) : IJsonRequest<CreateInvoiceRequest>
{
    public static CreateInvoiceRequest? Read(JsonBody body, HttpContext http)
    {
        string? subscriptionId = body.String("subscription_id", true);
        DateTimeOffset? periodStart = body.Time("period_start", false);
        return body.HasErrors ? null : new CreateInvoiceRequest(subscriptionId!, periodStart);
    }
}
