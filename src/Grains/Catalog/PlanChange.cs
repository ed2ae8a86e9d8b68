namespace Metering.Grains.Catalog;

/// <summary>From <see cref="At"/> on, a subscription is on version <see cref="Version"/> of plan <see cref="PlanCode"/>.</summary>
public sealed record PlanChange(DateTimeOffset At, string PlanCode, int Version = 1)
{
    public PlanRef Plan => new(PlanCode, Version);
}
