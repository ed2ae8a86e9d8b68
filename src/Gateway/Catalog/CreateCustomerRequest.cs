using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Catalog;

/// <summary><c>POST /v1/customers</c>: <c>{"id","name"?,"currency","tax_rate"?}</c>.</summary>
public sealed record CreateCustomerRequest(string Id, string? Name, string Currency, decimal TaxRate) : IJsonRequest<CreateCustomerRequest>
{
    public static CreateCustomerRequest? Read(JsonBody body, HttpContext http)
    {
        string? id = body.String("id", true, 128, Wire.IsId, "'id' must be 1 to 128 letters, digits or _.:@-");
        string? name = body.String("name", false, 255);
        string? currency = body.String("currency", true, 3, CatalogApi.CurrencyPattern().IsMatch, "'currency' must be an ISO 4217 code such as USD.");
        decimal taxRate = body.Decimal("tax_rate", false, 0m) ?? 0m;
        if (taxRate > 1m)
        {
            body.Fail("tax_rate", "'tax_rate' is a fraction between 0 and 1 (0.20 for 20%).");
        }

        return body.HasErrors ? null : new CreateCustomerRequest(id!, name, currency!, taxRate);
    }
}
