using Metering.Grains.Pricing;
using Metering.Runtime;

namespace Metering.Silo.Billing;

/// <summary>An entry of a plan's price book for one meter, in force over [<see cref="EffectiveFrom"/>, <see cref="EffectiveTo"/>).</summary>
public sealed record PriceEntry(Guid Id, string PlanCode, string MeterCode, PriceSpec Price, string PropertiesJson, DateTimeOffset EffectiveFrom, DateTimeOffset? EffectiveTo, DateTimeOffset CreatedAt);
