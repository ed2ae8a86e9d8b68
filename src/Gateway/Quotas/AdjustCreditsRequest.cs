using Metering.Gateway.Infrastructure;
using Metering.Grains.Quotas;

namespace Metering.Gateway.Quotas;

/// <summary><c>PATCH /v1/subscriptions/{id}/quotas/{meter}</c>: exactly one of <c>{"set"}</c>, <c>{"increment"}</c>, <c>{"decrement"}</c>.</summary>
public sealed record AdjustCreditsRequest(decimal? Set, decimal? Increment, decimal? Decrement) : IJsonRequest<AdjustCreditsRequest>
{
    public CreditAdjustment Adjustment => new(Set, Increment, Decrement);

    public static AdjustCreditsRequest? Read(JsonBody body, HttpContext http)
    {
        var request = new AdjustCreditsRequest(body.Decimal("set", false, min: 0), body.Decimal("increment", false, min: 0), body.Decimal("decrement", false, min: 0));
        int given = new[] { request.Set, request.Increment, request.Decrement }.Count(v => v is not null);
        if (!body.HasErrors && given != 1)
        {
            body.Fail("set", "Give exactly one of 'set', 'increment' or 'decrement'.");
        }

        return body.HasErrors ? null : request;
    }
}
