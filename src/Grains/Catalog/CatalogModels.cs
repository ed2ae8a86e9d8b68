using System.Security.Cryptography;
using System.Text;

namespace Metering.Grains.Catalog;

public enum Aggregation
{
    Count,
    Sum,
    UniqueCount,
    Max,
    Min,
    Latest,

    /// <summary>The mean of the counted events' values: the sum over the count, over whatever range is asked (never a mean
    /// of means).</summary>
    Avg,
}

public enum BillingInterval
{
    Day,
    Week,
    Month,
    Year,
}

/// <summary>A meter: which events it counts and how. <see cref="ValuePath"/> is the dot path split into segments.</summary>
public sealed record Meter(string Code, string EventType, Aggregation Aggregation, string? ValueProperty, IReadOnlyList<string> GroupBy, DateTimeOffset CreatedAt)
{
    public IReadOnlyList<string> ValuePath { get; } = ValueProperty is null ? [] : ValueProperty.Split('.');
}

/// <summary>The meters of a tenant, with a fingerprint that changes whenever they do.</summary>
public sealed class TenantMeters
{
    public TenantMeters(IReadOnlyList<Meter> meters)
    {
        Meters = meters;
        ByEventType = meters.GroupBy(m => m.EventType, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<Meter>)g.ToList(), StringComparer.Ordinal);
        var text = new StringBuilder();
        foreach (Meter m in meters.OrderBy(m => m.Code, StringComparer.Ordinal))
        {
            text.Append(m.Code).Append('|').Append(m.EventType).Append('|').Append(m.Aggregation).Append('|')
                .Append(m.ValueProperty).Append('|').AppendJoin(',', m.GroupBy).Append('\n');
        }

        Fingerprint = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    public IReadOnlyList<Meter> Meters { get; }

    public IReadOnlyDictionary<string, IReadOnlyList<Meter>> ByEventType { get; }

    public string Fingerprint { get; }

    public Meter? Find(string code) => Meters.FirstOrDefault(m => m.Code == code);
}

public sealed record Customer(string Id, string Name, string Currency, decimal TaxRate, DateTimeOffset CreatedAt);

public sealed record Plan(string Code, string Currency, BillingInterval Interval, decimal FixedFee, DateTimeOffset CreatedAt);

public sealed record Subscription(string Id, string CustomerId, string PlanCode, BillingInterval Interval, DateTimeOffset StartedAt, IReadOnlyList<string> Subjects, DateTimeOffset CreatedAt)
{
    public BillingPeriod PeriodAt(DateTimeOffset at) => BillingPeriod.At(StartedAt, Interval, at);
}

/// <summary>A billing period [Start, End).</summary>
public readonly record struct BillingPeriod(DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>The usage a period bills, as usage is kept: the whole UTC hours from the hour holding <see cref="Start"/> up to
    /// the hour holding <see cref="End"/>. Consecutive periods tile exactly, and a period starting at 10:30 includes 10:00-11:00.</summary>
    public (DateTimeOffset From, DateTimeOffset To) UsageHours => (Usage.UsageCalculator.HourOf(Start), Usage.UsageCalculator.HourOf(End));

    /// <summary>The period that contains <paramref name="at"/>; the first period for instants before the anchor.
    /// Periods repeat from the anchor: the k-th starts at anchor + k intervals, computed from the anchor each time, so a
    /// month anchored on the 31st falls back to a shorter month's last day and returns to the 31st after it.</summary>
    public static BillingPeriod At(DateTimeOffset anchor, BillingInterval interval, DateTimeOffset at)
    {
        anchor = anchor.ToUniversalTime();
        long k = interval switch
        {
            BillingInterval.Day => (long)Math.Floor((at - anchor).TotalDays),
            BillingInterval.Week => (long)Math.Floor((at - anchor).TotalDays / 7),
            BillingInterval.Month => ((at.Year - anchor.Year) * 12) + at.Month - anchor.Month,
            _ => at.Year - anchor.Year,
        };
        k = Math.Max(k, 0);
        while (k > 0 && StartOf(anchor, interval, k) > at)
        {
            k--;
        }

        while (StartOf(anchor, interval, k + 1) <= at)
        {
            k++;
        }

        return new BillingPeriod(StartOf(anchor, interval, k), StartOf(anchor, interval, k + 1));
    }

    /// <summary>The periods from the anchor that end at or before <paramref name="before"/>, in order.</summary>
    public static IEnumerable<BillingPeriod> EndedBy(DateTimeOffset anchor, BillingInterval interval, DateTimeOffset before)
    {
        for (long k = 0; StartOf(anchor, interval, k + 1) <= before; k++)
        {
            yield return new BillingPeriod(StartOf(anchor, interval, k), StartOf(anchor, interval, k + 1));
        }
    }

    public static DateTimeOffset StartOf(DateTimeOffset anchor, BillingInterval interval, long k) => interval switch
    {
        BillingInterval.Day => anchor.AddDays(k),
        BillingInterval.Week => anchor.AddDays(7 * k),
        BillingInterval.Month => anchor.AddMonths((int)k),
        _ => anchor.AddYears((int)k),
    };
}
