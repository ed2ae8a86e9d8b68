using System.Text.Json;
using Metering.Grains.Catalog;
using Metering.Grains.Usage;

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

/// <summary>What a quota is: a limit per window of server time, or a balance of credits (<see cref="QuotaPeriod.None"/>).
/// <see cref="Thresholds"/> are the percentages of the limit at which a notification is sent, once per window (null: the
/// default 50, 80 and 100; empty: none).</summary>
public sealed record QuotaDefinition(decimal Limit, QuotaPeriod Period, QuotaOverflow Overflow, QuotaRefill? Refill)
{
    public IReadOnlyList<decimal>? Thresholds { get; init; }

    public bool Equals(QuotaDefinition? other) => other is not null && Limit == other.Limit && Period == other.Period && Overflow == other.Overflow
        && Refill == other.Refill && (Thresholds ?? QuotaThresholds.Default).SequenceEqual(other.Thresholds ?? QuotaThresholds.Default);

    public override int GetHashCode() => HashCode.Combine(Limit, Period, Overflow, Refill);
}

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

    /// <summary>The subscription has ended: its quotas stop.</summary>
    SubscriptionEnded,
    Failed,
}

public sealed record ConsumeResult(ConsumeStatus Status, decimal Remaining, decimal? Overage = null, string? Detail = null);

/// <summary>An ingested event of a quota's meter, read for that meter (<see cref="Counts"/> is false when its value is missing or
/// not numeric), as the subscription grain passes it on after the commit or the log returns it.</summary>
public sealed record QuotaEvent(long Seq, string IdempotencyKey, DateTimeOffset Timestamp, DateTimeOffset ReceivedAt, bool Counts, decimal Number, string? Unique)
{
    public static QuotaEvent Read(Meter meter, long seq, string idempotencyKey, DateTimeOffset timestamp, DateTimeOffset receivedAt, JsonElement properties)
    {
        bool counts = MeterReading.TryRead(meter, properties, out decimal number, out string? unique);
        return new QuotaEvent(seq, idempotencyKey, timestamp, receivedAt, counts, number, unique);
    }
}

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
        if (definition.Period == QuotaPeriod.BillingPeriod)
        {
            BillingPeriod period = subscription.PeriodAt(now);
            return new QuotaEpoch(period.Start, period.End, 0, definition.Limit);
        }

        if (definition.Period != QuotaPeriod.None)
        {
            DateTimeOffset start = WindowStart(definition.Period, now);
            return new QuotaEpoch(start, WindowEnd(definition.Period, start), 0, definition.Limit);
        }

        if (definition.Refill is not { } refill)
        {
            return new QuotaEpoch(DateTimeOffset.MinValue, null, state.CutSeq, state.Balance);
        }

        DateTimeOffset boundary = RefillBoundary(refill.Interval, now);
        DateTimeOffset next = WindowEnd(RefillPeriod(refill.Interval), boundary);
        return boundary > state.CutTime
            ? new QuotaEpoch(boundary, next, 0, refill.Amount)
            : new QuotaEpoch(state.CutTime, next, state.CutSeq, state.Balance);
    }

    /// <summary>The last refill boundary at or before <paramref name="now"/>.</summary>
    public static DateTimeOffset RefillBoundary(RefillInterval interval, DateTimeOffset now) => WindowStart(RefillPeriod(interval), now);

    private static QuotaPeriod RefillPeriod(RefillInterval interval) => interval == RefillInterval.Day ? QuotaPeriod.Day : QuotaPeriod.Month;

    /// <summary>The UTC minute, hour, day or month containing <paramref name="now"/> starts here.</summary>
    private static DateTimeOffset WindowStart(QuotaPeriod period, DateTimeOffset now)
    {
        now = now.ToUniversalTime();
        return period switch
        {
            QuotaPeriod.Minute => new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero),
            QuotaPeriod.Hour => new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero),
            QuotaPeriod.Day => new DateTimeOffset(now.Year, now.Month, now.Day, 0, 0, 0, TimeSpan.Zero),
            _ => new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero),
        };
    }

    private static DateTimeOffset WindowEnd(QuotaPeriod period, DateTimeOffset start) => period switch
    {
        QuotaPeriod.Minute => start.AddMinutes(1),
        QuotaPeriod.Hour => start.AddHours(1),
        QuotaPeriod.Day => start.AddDays(1),
        _ => start.AddMonths(1),
    };

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
            Math.Max(Saturating.Subtract(epoch.Limit, used), 0),
            overage ? Math.Max(Saturating.Subtract(used, epoch.Limit), 0) : null,
            epoch.End,
            overage || Saturating.Add(used, amount) <= epoch.Limit);
    }

    /// <summary>The new credit balance after an adjustment of the remaining <paramref name="remaining"/>; never below zero.</summary>
    public static decimal Adjust(decimal remaining, CreditAdjustment adjustment)
        => adjustment.Set ?? Math.Max(Saturating.Subtract(Saturating.Add(remaining, adjustment.Increment ?? 0), adjustment.Decrement ?? 0), 0);

    /// <summary>Whether usage of a meter with this aggregation can be consumed (recorded as an event of an amount).</summary>
    public static bool CanConsume(Aggregation aggregation) => aggregation is Aggregation.Count or Aggregation.Sum;
}
