namespace Metering.Gateway.Lago;

/// <summary>One charge of the current usage: the meter's units and events, their amount, the meter and the charge model.</summary>
public sealed record ChargeUsageJson(string Units, long EventsCount, long AmountCents, string AmountCurrency, BillableMetricJson BillableMetric, ChargeJson Charge);
