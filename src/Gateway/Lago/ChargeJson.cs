namespace Metering.Gateway.Lago;

/// <summary>A price as Lago names it: its charge model (<c>standard</c> for per-unit prices).</summary>
public sealed record ChargeJson(string LagoId, string ChargeModel);
