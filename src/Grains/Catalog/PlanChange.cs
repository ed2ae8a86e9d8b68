namespace Metering.Grains.Catalog;

/// <summary>From <see cref="At"/> on, a subscription is on <see cref="PlanCode"/>.</summary>
public sealed record PlanChange(DateTimeOffset At, string PlanCode);
