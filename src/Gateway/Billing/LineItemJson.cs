using System.Text.Json.Serialization;

namespace Metering.Gateway.Billing;

/// <summary>A line of an invoice; <see cref="Meter"/> is left out for the plan's fixed fee.</summary>
public sealed record LineItemJson(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Meter,
    string Description,
    string Model,
    string Quantity,
    string Amount,
    IReadOnlyList<BreakdownJson> Breakdown);
