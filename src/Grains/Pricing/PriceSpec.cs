namespace Metering.Grains.Pricing;

/// <summary>A price: a charge model and its properties, as in API.md. Fields a model does not use keep their defaults.</summary>
public sealed record PriceSpec(
    ChargeModel Model,
    decimal Amount = 0,
    decimal UnitPrice = 0,
    IReadOnlyList<PriceTier>? Tiers = null,
    decimal PackageSize = 0,
    decimal PackagePrice = 0,
    decimal FreeUnits = 0,
    decimal? OverageUnitPrice = null,
    decimal Rate = 0,
    decimal FixedFeePerEvent = 0,
    long FreeEvents = 0);
