using Microsoft.AspNetCore.Mvc;

namespace Metering.Gateway.Catalog;

/// <summary>Which subscriptions a list shows: of one customer, on one plan, <c>active</c> (not ended now) or <c>ended</c>.</summary>
public sealed record SubscriptionFilter(
    [property: FromQuery(Name = "customer_id")] string? CustomerId,
    [property: FromQuery(Name = "plan")] string? Plan,
    [property: FromQuery(Name = "status")] string? Status);
