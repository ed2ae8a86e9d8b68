using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Catalog;
using Metering.Silo.Catalog;

namespace Metering.Gateway.Catalog;

/// <summary><c>PATCH /v1/plans/{code}</c>: <c>{"fixed_fee"?, "proration"?}</c>. A plan's currency and interval never change
/// (they decide its subscriptions' periods and money): make another plan and change subscriptions to it.</summary>
public sealed record UpdatePlanRequest(PlanChanges Changes) : IJsonRequest<UpdatePlanRequest>
{
    public static UpdatePlanRequest? Read(JsonBody body, HttpContext http)
    {
        decimal? fixedFee = body.Decimal("fixed_fee", false, 0m);
        Proration? proration = null;
        body.String("proration", false, 16, v => WireName.TryParseWire(v, out Proration parsed) && (proration = parsed) is not null, "'proration' must be none or daily.");
        foreach (string fixedField in new[] { "currency", "interval", "code" })
        {
            if (JsonBody.TryGetMember(body.Root, fixedField, out _))
            {
                body.Fail(fixedField, $"A plan's '{fixedField}' cannot change: make another plan and change subscriptions to it.");
            }
        }

        return body.HasErrors ? null : new UpdatePlanRequest(new PlanChanges(fixedFee, proration));
    }
}
