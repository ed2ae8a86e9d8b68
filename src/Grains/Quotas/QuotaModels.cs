using Metering.Grains.Catalog;

namespace Metering.Grains.Quotas;

public enum QuotaPeriod
{
    Minute,
    Hour,
    Day,
    Month,
    BillingPeriod,
    None,
}

public enum QuotaOverflow
{
    Block,
    AllowOverage,
}

public enum RefillInterval
{
    Day,
    Month,
}

/// <summary>Credits (period none) may be restored to <see cref="Amount"/> at every UTC day or month boundary.</summary>
public sealed record QuotaRefill(decimal Amount, RefillInterval Interval);

/// <summary>What a quota is: a limit per window of server time, or a balance of credits (<see cref="QuotaPeriod.None"/>).</summary>
public sealed record QuotaDefinition(decimal Limit, QuotaPeriod Period, QuotaOverflow Overflow, QuotaRefill? Refill);

/// <summary>How a credit balance is adjusted (PATCH): exactly one of the three is set.</summary>
public sealed record CreditAdjustment(decimal? Set, decimal? Increment, decimal? Decrement);

/// <summary>A quota as seen at one instant. For credits, <see cref="Limit"/> is the balance granted at the last set, refill
/// or adjustment, and <see cref="Used"/> what was used since. <see cref="Allowed"/> answers "may <c>amount</c> more be used?".</summary>
public sealed record QuotaView(
    string Meter,
    QuotaDefinition Definition,
    decimal Limit,
    decimal Used,
    decimal Remaining,
    decimal? Overage,
    DateTimeOffset? ResetsAt,
    bool Allowed);

/// <summary>An authorization request: consume <see cref="Amount"/> for <see cref="Subject"/>, once per idempotency key.</summary>
public sealed record ConsumeRequest(string Subject, decimal Amount, string IdempotencyKey);

public enum ConsumeStatus
{
    Allowed,
    Denied,
    NotConfigured,
    KeyReused,
    Failed,
}

public sealed record ConsumeResult(ConsumeStatus Status, decimal Remaining, decimal? Overage = null, string? Detail = null);

/// <summary>An ingested event of a quota's meter, as the subscription grain passes it on after the commit.</summary>
public sealed record QuotaEvent(long Seq, string IdempotencyKey, DateTimeOffset Timestamp, DateTimeOffset ReceivedAt, string PropertiesJson);

/// <summary>What a quota grain persists. For credits, the balance counts events after <see cref="CutSeq"/>.</summary>
public sealed class QuotaState
{
    public QuotaDefinition? Definition { get; set; }

    public decimal Balance { get; set; }

    public long CutSeq { get; set; }

    /// <summary>The refill boundary in force when the balance was last set (MinValue without refill).</summary>
    public DateTimeOffset CutTime { get; set; } = DateTimeOffset.MinValue;
}

/// <summary>The events a quota counts at one instant: sequence after <see cref="AfterSeq"/> and receive time in
/// [<see cref="Start"/>, <see cref="End"/>), against <see cref="Limit"/>.</summary>
public readonly record struct QuotaEpoch(DateTimeOffset Start, DateTimeOffset? End, long AfterSeq, decimal Limit)
{
    public bool Contains(DateTimeOffset receivedAt, long seq) => seq > AfterSeq && receivedAt >= Start && (End is null || receivedAt < End);
}

/// <summary>The decisions of quotas, as plain functions of their state and the server's clock.</summary>
public static class QuotaRules
{
    /// <summary>The epoch in force at <paramref name="now"/>: the UTC window of the period, or the credit balance (restored at
    /// the last refill boundary if one passed since it was set).</summary>
    public static QuotaEpoch EpochAt(QuotaState state, Subscription subscription, DateTimeOffset now)
    {
        QuotaDefinition definition = state.Definition ?? throw new InvalidOperationException("The quota is not configured.");
        now = now.ToUniversalTime();
        switch (definition.Period)
        {
            case QuotaPeriod.Minute:
                DateTimeOffset minute = new(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
                return new QuotaEpoch(minute, minute.AddMinutes(1), 0, definition.Limit);
            case QuotaPeriod.Hour:
                DateTimeOffset hour = new(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
                return new QuotaEpoch(hour, hour.AddHours(1), 0, definition.Limit);
            case QuotaPeriod.Day:
                DateTimeOffset day = new(now.Year, now.Month, now.Day, 0, 0, 0, TimeSpan.Zero);
                return new QuotaEpoch(day, day.AddDays(1), 0, definition.Limit);
            case QuotaPeriod.Month:
                DateTimeOffset month = new(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
                return new QuotaEpoch(month, month.AddMonths(1), 0, definition.Limit);
            case QuotaPeriod.BillingPeriod:
                BillingPeriod period = subscription.PeriodAt(now);
                return new QuotaEpoch(period.Start, period.End, 0, definition.Limit);
            default:
                if (definition.Refill is not { } refill)
                {
                    return new QuotaEpoch(DateTimeOffset.MinValue, null, state.CutSeq, state.Balance);
                }

                DateTimeOffset boundary = RefillBoundary(refill.Interval, now);
                DateTimeOffset next = NextRefill(refill.Interval, boundary);
                return boundary > state.CutTime
                    ? new QuotaEpoch(boundary, next, 0, refill.Amount)
                    : new QuotaEpoch(state.CutTime, next, state.CutSeq, state.Balance);
        }
    }

    /// <summary>The last refill boundary at or before <paramref name="now"/>.</summary>
    public static DateTimeOffset RefillBoundary(RefillInterval interval, DateTimeOffset now)
    {
        now = now.ToUniversalTime();
        return interval == RefillInterval.Day
            ? new DateTimeOffset(now.Year, now.Month, now.Day, 0, 0, 0, TimeSpan.Zero)
            : new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
    }

    private static DateTimeOffset NextRefill(RefillInterval interval, DateTimeOffset boundary)
        => interval == RefillInterval.Day ? boundary.AddDays(1) : boundary.AddMonths(1);

    /// <summary>The answer to "may <paramref name="amount"/> more be used?": allowed when used + amount ≤ limit, or always
    /// with overage allowed (the overage reported). Remaining is max(limit − used, 0).</summary>
    public static QuotaView Decide(string meter, QuotaDefinition definition, QuotaEpoch epoch, decimal used, decimal amount)
    {
        bool overage = definition.Overflow == QuotaOverflow.AllowOverage;
        return new QuotaView(
            meter,
            definition,
            epoch.Limit,
            used,
            Math.Max(epoch.Limit - used, 0),
            overage ? Math.Max(used - epoch.Limit, 0) : null,
            epoch.End,
            overage || used + amount <= epoch.Limit);
    }

    /// <summary>The new credit balance after an adjustment of the remaining <paramref name="remaining"/>; never below zero.</summary>
    public static decimal Adjust(decimal remaining, CreditAdjustment adjustment)
        => adjustment.Set ?? Math.Max(remaining + (adjustment.Increment ?? 0) - (adjustment.Decrement ?? 0), 0);

    /// <summary>Whether usage of a meter with this aggregation can be consumed (recorded as an event of an amount).</summary>
    public static bool CanConsume(Aggregation aggregation) => aggregation is Aggregation.Count or Aggregation.Sum;

    public static string ToWire(this QuotaPeriod period) => period switch
    {
        QuotaPeriod.BillingPeriod => "billing_period",
        _ => period.ToString().ToLowerInvariant(),
    };

    public static bool TryParsePeriod(string? value, out QuotaPeriod period)
    {
        (bool ok, period) = value switch
        {
            "minute" => (true, QuotaPeriod.Minute),
            "hour" => (true, QuotaPeriod.Hour),
            "day" => (true, QuotaPeriod.Day),
            "month" => (true, QuotaPeriod.Month),
            "billing_period" => (true, QuotaPeriod.BillingPeriod),
            "none" => (true, QuotaPeriod.None),
            _ => (false, QuotaPeriod.None),
        };
        return ok;
    }

    public static string ToWire(this QuotaOverflow overflow) => overflow == QuotaOverflow.Block ? "block" : "allow_overage";

    public static bool TryParseOverflow(string? value, out QuotaOverflow overflow)
    {
        (bool ok, overflow) = value switch
        {
            "block" => (true, QuotaOverflow.Block),
            "allow_overage" => (true, QuotaOverflow.AllowOverage),
            _ => (false, QuotaOverflow.Block),
        };
        return ok;
    }
}
