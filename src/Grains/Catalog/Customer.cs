namespace Metering.Grains.Catalog;

/// <summary>A customer. <see cref="MetadataJson"/> is a JSON object of the user's own keys.</summary>
public sealed record Customer(string Id, string Name, string Currency, decimal TaxRate, DateTimeOffset CreatedAt, string? Email = null, string MetadataJson = "{}");
