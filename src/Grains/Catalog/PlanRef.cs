namespace Metering.Grains.Catalog;

/// <summary>One version of a plan: what a subscription, or a part of its time, is priced on.</summary>
public sealed record PlanRef(string Code, int Version);
