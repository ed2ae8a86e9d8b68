using Metering.Gateway.Infrastructure;
using Metering.Silo.Subscriptions;

namespace Metering.Gateway.Catalog;

/// <summary>The answer to <c>POST /v1/plans/{code}/migrate</c>: the plan at its latest version, and each subscription moved to
/// it from the end of its current period.</summary>
public sealed record PlanMigrationJson(PlanJson Plan, IReadOnlyList<MigratedSubscriptionJson> Migrated)
{
    public static PlanMigrationJson Of(PlanMigration m)
        => new(PlanJson.Of(m.Plan), [.. m.Migrated.Select(s => new MigratedSubscriptionJson(s.SubscriptionId, s.FromVersion, m.Plan.Version, Wire.Time(s.At)))]);
}
