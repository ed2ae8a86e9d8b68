namespace Metering.Grains.Quotas;

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
