namespace Metering.Grains.Catalog;

/// <summary>A plan at one <see cref="Version"/>: its fixed fee and proration are versioned, its currency and interval are not.</summary>
public sealed record Plan(string Code, string Currency, BillingInterval Interval, decimal FixedFee, DateTimeOffset CreatedAt, Proration Proration = Proration.None, int Version = 1)
{
    public PlanRef Ref => new(Code, Version);
}
