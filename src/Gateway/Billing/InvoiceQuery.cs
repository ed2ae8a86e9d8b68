using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Pricing;
using Metering.Silo.Billing;
using Microsoft.AspNetCore.Mvc;

namespace Metering.Gateway.Billing;

/// <summary>The filters of <c>GET /v1/invoices</c>: subscription, customer, status, and periods starting at or after
/// <c>period_from</c> and ending at or before <c>period_to</c>.</summary>
public sealed record InvoiceQuery(
    [property: FromQuery(Name = "subscription_id")] string? SubscriptionId,
    [property: FromQuery(Name = "customer_id")] string? CustomerId,
    [property: FromQuery(Name = "status")] string? Status,
    [property: FromQuery(Name = "period_from")] string? PeriodFrom,
    [property: FromQuery(Name = "period_to")] string? PeriodTo)
{
    public (InvoiceFilter? Filter, ApiError? Error) Read()
    {
        InvoiceStatus? status = null;
        if (!string.IsNullOrEmpty(Status))
        {
            if (!WireName.TryParseWire(Status, out InvoiceStatus parsed))
            {
                return (null, ApiError.Invalid("status", "'status' must be draft, finalizing, finalized or voided."));
            }

            status = parsed;
        }

        DateTimeOffset? from = null, to = null;
        if (!string.IsNullOrEmpty(PeriodFrom))
        {
            if (!Wire.TryParseTime(PeriodFrom, out DateTimeOffset parsed))
            {
                return (null, ApiError.Invalid("period_from", "'period_from' must be an RFC 3339 timestamp."));
            }

            from = parsed;
        }

        if (!string.IsNullOrEmpty(PeriodTo))
        {
            if (!Wire.TryParseTime(PeriodTo, out DateTimeOffset parsed))
            {
                return (null, ApiError.Invalid("period_to", "'period_to' must be an RFC 3339 timestamp."));
            }

            to = parsed;
        }

        return (new InvoiceFilter(Empty(SubscriptionId), Empty(CustomerId), status, from, to), null);
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
