using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Quotas;

/// <summary><c>POST /v1/quotas/consume</c>: <c>{"subject","meter","amount"? (1),"idempotency_key"?}</c>.</summary>
public sealed record ConsumeQuotaRequest(string Subject, string Meter, decimal Amount, string IdempotencyKey) : IJsonRequest<ConsumeQuotaRequest>
{
    public static ConsumeQuotaRequest? Read(JsonBody body, HttpContext http)
    {
        string? subject = body.String("subject", true);
        string? meterCode = body.String("meter", true, 64);
        decimal amount = body.Decimal("amount", false) ?? 1;
        string idempotencyKey = body.String("idempotency_key", false) ?? "consume:" + Guid.NewGuid().ToString("N");
        if (amount <= 0)
        {
            body.Fail("amount", "'amount' must be positive.");
        }

        return body.HasErrors ? null : new ConsumeQuotaRequest(subject!, meterCode!, amount, idempotencyKey);
    }
}
