using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Catalog;

namespace Metering.Gateway.Catalog;

/// <summary><c>POST /v1/plans</c>: <c>{"code","currency","interval","fixed_fee"?}</c>.</summary>
public sealed record CreatePlanRequest(string Code, string Currency, BillingInterval Interval, decimal FixedFee) : IJsonRequest<CreatePlanRequest>
{
    public static CreatePlanRequest? Read(JsonBody body, HttpContext http)
    {
        string? code = body.String("code", true, 128, Wire.IsId, "'code' must be 1 to 128 letters, digits or _.:@-");
        string? currency = body.String("currency", true, 3, CatalogApi.CurrencyPattern().IsMatch, "'currency' must be an ISO 4217 code such as USD.");
        string? intervalText = body.String("interval", true, 16);
        decimal fixedFee = body.Decimal("fixed_fee", false, 0m) ?? 0m;
        BillingInterval interval = BillingInterval.Month;
        if (intervalText is not null && !WireName.TryParseWire(intervalText, out interval))
        {
            body.Fail("interval", "'interval' must be day, week, month or year.");
        }

        return body.HasErrors ? null : new CreatePlanRequest(code!, currency!, interval, fixedFee);
    }
}
