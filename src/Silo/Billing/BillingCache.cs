using System.Collections.Concurrent;
using Metering.Grains.Catalog;
using Metering.Runtime;

namespace Metering.Silo.Billing;

/// <summary>Plans, customers and prices read once for many invoices (a billing run).</summary>
public sealed class BillingCache
{
    internal ConcurrentDictionary<PlanRef, Task<Plan?>> Plans { get; } = new();

    internal ConcurrentDictionary<string, Task<Customer?>> Customers { get; } = new(StringComparer.Ordinal);

    internal ConcurrentDictionary<(string, DateTimeOffset), Task<IReadOnlyList<PriceEntry>>> Prices { get; } = new();
}
