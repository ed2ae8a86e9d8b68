namespace Metering.Gateway.Lago;

/// <summary>A meter as Lago names it: a billable metric with its aggregation type (<c>sum_agg</c>, <c>count_agg</c>, ...).</summary>
public sealed record BillableMetricJson(string LagoId, string Name, string Code, string AggregationType);
