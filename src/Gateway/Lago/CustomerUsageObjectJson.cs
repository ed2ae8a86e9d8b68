namespace Metering.Gateway.Lago;

/// <summary>The usage of a subscription's current period: its bounds, the charges, their total before and after tax.</summary>
public sealed record CustomerUsageObjectJson(
    string FromDatetime,
    string ToDatetime,
    string IssuingDate,
    string? LagoInvoiceId,
    string Currency,
    long AmountCents,
    long TaxesAmountCents,
    long TotalAmountCents,
    IReadOnlyList<ChargeUsageJson> ChargesUsage);
