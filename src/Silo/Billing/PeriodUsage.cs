using Metering.Grains.Catalog;
using Metering.Grains.Pricing;

namespace Metering.Silo.Billing;

/// <summary>A billing period of a subscription with its plan, its customer, and the usage of each priced meter in it.</summary>
public sealed record PeriodUsage(BillingPeriod Period, Plan Plan, Customer Customer, IReadOnlyList<MeterUsage> Usages);
