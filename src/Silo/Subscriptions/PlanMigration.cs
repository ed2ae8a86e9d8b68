using Metering.Grains.Catalog;

namespace Metering.Silo.Subscriptions;

/// <summary>What a migration did: the subscriptions it moves to <see cref="Plan"/>'s latest version, each at its period end.</summary>
public sealed record PlanMigration(Plan Plan, IReadOnlyList<MigratedSubscription> Migrated);
