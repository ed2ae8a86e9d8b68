using Metering.Grains.Catalog;

namespace Metering.Silo.Catalog;

/// <summary>An edit of a plan: its fixed fee and proration, which are versioned. Its currency and interval never change.</summary>
public sealed record PlanChanges(decimal? FixedFee = null, Proration? Proration = null)
{
    public Plan ApplyTo(Plan plan) => plan with { FixedFee = FixedFee ?? plan.FixedFee, Proration = Proration ?? plan.Proration };
}
