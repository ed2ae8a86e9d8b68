namespace Metering.Gateway.Catalog;

/// <summary>A plan change of a subscription: from <c>at</c> on, it is on version <c>version</c> of <c>plan</c>.</summary>
public sealed record PlanChangeJson(string At, string Plan, int Version);
