namespace Metering.Gateway.Billing;

/// <summary>The answer of a preview: the amount for the quantity and how it was reached.</summary>
public sealed record PreviewJson(string Amount, IReadOnlyList<BreakdownJson> Breakdown);
