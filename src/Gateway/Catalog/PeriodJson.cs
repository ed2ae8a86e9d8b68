namespace Metering.Gateway.Catalog;

/// <summary>A billing period: <c>{"start","end"}</c>.</summary>
public sealed record PeriodJson(string Start, string End);
