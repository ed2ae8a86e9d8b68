using System.Text.Json.Nodes;
using Metering.Grains.Catalog;

namespace Metering.Silo.Catalog;

/// <summary>An edit of a customer: each field set replaces the stored one. <see cref="Metadata"/> is merged key by key (a null
/// value removes its key); <see cref="ClearEmail"/> removes the email.</summary>
public sealed record CustomerChanges(string? Name = null, string? Email = null, bool ClearEmail = false, string? Currency = null, decimal? TaxRate = null,
    JsonObject? Metadata = null)
{
    public Customer ApplyTo(Customer customer) => customer with
    {
        Name = Name ?? customer.Name,
        Email = ClearEmail ? null : Email ?? customer.Email,
        Currency = Currency ?? customer.Currency,
        TaxRate = TaxRate ?? customer.TaxRate,
        MetadataJson = Metadata is null ? customer.MetadataJson : Merge(customer.MetadataJson, Metadata),
    };

    private static string Merge(string storedJson, JsonObject changes)
    {
        JsonObject merged = JsonNode.Parse(storedJson)?.AsObject() ?? [];
        foreach ((string key, JsonNode? value) in changes)
        {
            if (value is null)
            {
                merged.Remove(key);
            }
            else
            {
                merged[key] = value.DeepClone();
            }
        }

        return merged.ToJsonString();
    }
}
