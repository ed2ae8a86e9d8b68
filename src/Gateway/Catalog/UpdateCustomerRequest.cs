using System.Text.Json;
using System.Text.Json.Nodes;
using Metering.Gateway.Infrastructure;
using Metering.Silo.Catalog;

namespace Metering.Gateway.Catalog;

/// <summary><c>PATCH /v1/customers/{id}</c>: <c>{"name"?, "email"? (null removes it), "currency"?, "tax_rate"?, "metadata"?: {...}}</c>.
/// Metadata is merged key by key; a key set to null is removed.</summary>
public sealed record UpdateCustomerRequest(CustomerChanges Changes) : IJsonRequest<UpdateCustomerRequest>
{
    public const int MaxMetadataKeys = 50;
    public const int MaxMetadataBytes = 8 * 1024;

    public static UpdateCustomerRequest? Read(JsonBody body, HttpContext http)
    {
        string? name = body.String("name", false, 255);
        bool clearEmail = JsonBody.TryGetMember(body.Root, "email", out JsonElement email) && email.ValueKind == JsonValueKind.Null;
        string? emailText = clearEmail ? null : body.String("email", false, 255, e => e.Contains('@', StringComparison.Ordinal), "'email' must be an email address.");
        string? currency = body.String("currency", false, 3, CatalogApi.CurrencyPattern().IsMatch, "'currency' must be an ISO 4217 code such as USD.");
        decimal? taxRate = body.Decimal("tax_rate", false, 0m);
        if (taxRate > 1m)
        {
            body.Fail("tax_rate", "'tax_rate' is a fraction between 0 and 1 (0.20 for 20%).");
        }

        JsonObject? metadata = ReadMetadata(body);
        return body.HasErrors ? null : new UpdateCustomerRequest(new CustomerChanges(name, emailText, clearEmail, currency, taxRate, metadata));
    }

    private static JsonObject? ReadMetadata(JsonBody body)
    {
        if (!JsonBody.TryGetMember(body.Root, "metadata", out JsonElement raw))
        {
            return null;
        }

        if (raw.ValueKind != JsonValueKind.Object)
        {
            body.Fail("metadata", "'metadata' must be an object.");
            return null;
        }

        // Checked for text PostgreSQL cannot hold before anything reads it as text.
        if (!body.TryJson("metadata", out JsonElement value))
        {
            return null;
        }

        if (value.EnumerateObject().Count() > MaxMetadataKeys || value.GetRawText().Length > MaxMetadataBytes)
        {
            body.Fail("metadata", $"'metadata' must be an object of at most {MaxMetadataKeys} keys and {MaxMetadataBytes} bytes.");
            return null;
        }

        return JsonNode.Parse(value.GetRawText())!.AsObject();
    }
}
