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

public enum Proration
{
    /// <summary>A partial period's fixed fee is charged in full.</summary>
    None,

    /// <summary>A partial period's fixed fee is charged for the days it covers (a day begun counts whole) over the days of the full period.</summary>
    Daily,
}

public enum BillingInterval
{
    Day,
    Week,
    Month,
    Year,
}

/// <summary>A meter: which events it counts and how. <see cref="ValuePath"/> is the dot path split into segments. An archived
/// meter counts no event stamped at or after <see cref="ArchivedAt"/>, and keeps what it counted before.</summary>
public sealed record Meter(string Code, string EventType, Aggregation Aggregation, string? ValueProperty, IReadOnlyList<string> GroupBy, DateTimeOffset CreatedAt,
    string? Name = null, string? Description = null, DateTimeOffset? ArchivedAt = null)
{
    public IReadOnlyList<string> ValuePath { get; } = ValueProperty is null ? [] : ValueProperty.Split('.');

    /// <summary>Whether an event stamped at <paramref name="timestamp"/> is counted at all (the meter was not archived by then).</summary>
    public bool CountsAt(DateTimeOffset timestamp) => ArchivedAt is not { } archived || timestamp < archived;
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
                .Append(m.ValueProperty).Append('|').AppendJoin(',', m.GroupBy).Append('|').Append(m.ArchivedAt?.UtcTicks).Append('\n');
        }

        Fingerprint = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    public IReadOnlyList<Meter> Meters { get; }

    public IReadOnlyDictionary<string, IReadOnlyList<Meter>> ByEventType { get; }

    public string Fingerprint { get; }

    public Meter? Find(string code) => Meters.FirstOrDefault(m => m.Code == code);
}

/// <summary>A customer. <see cref="MetadataJson"/> is a JSON object of the user's own keys.</summary>
public sealed record Customer(string Id, string Name, string Currency, decimal TaxRate, DateTimeOffset CreatedAt, string? Email = null, string MetadataJson = "{}");

/// <summary>A plan at one <see cref="Version"/>: its fixed fee and proration are versioned, its currency and interval are not.</summary>
public sealed record Plan(string Code, string Currency, BillingInterval Interval, decimal FixedFee, DateTimeOffset CreatedAt, Proration Proration = Proration.None, int Version = 1)
{
    public PlanRef Ref => new(Code, Version);
}

/// <summary>A subscription. It ends at <see cref="EndedAt"/> when cancelled: its last period is cut there, and events stamped at
/// or after it are refused. <see cref="Revision"/> grows with every change of its lifecycle. It starts on version
/// <see cref="PlanVersion"/> of <see cref="PlanCode"/>; <see cref="Changes"/> move it to other plans or versions.</summary>
public sealed record Subscription(string Id, string CustomerId, string PlanCode, BillingInterval Interval, DateTimeOffset StartedAt, IReadOnlyList<string> Subjects, DateTimeOffset CreatedAt,
    DateTimeOffset? EndedAt = null, long Revision = 0, IReadOnlyList<PlanChange>? Changes = null, int PlanVersion = 1)
{
    /// <summary>The plan in force at <paramref name="at"/>: <see cref="PlanCode"/> (the first plan) until the first change.</summary>
    public string PlanAt(DateTimeOffset at) => PlanRefAt(at).Code;

    /// <summary>The plan and version in force at <paramref name="at"/>.</summary>
    public PlanRef PlanRefAt(DateTimeOffset at) => (Changes ?? []).LastOrDefault(c => c.At <= at)?.Plan ?? new PlanRef(PlanCode, PlanVersion);

    /// <summary>A period split where the plan (or its version) changes within it, each part with its plan, in order; the last part
    /// keeps the period's <see cref="BillingPeriod.Last"/>.</summary>
    public IReadOnlyList<(BillingPeriod Part, PlanRef Plan)> PartsOf(BillingPeriod period)
    {
        var parts = new List<(BillingPeriod, PlanRef)>();
        DateTimeOffset start = period.Start;
        foreach (PlanChange change in (Changes ?? []).Where(c => c.At > period.Start && c.At < period.End))
        {
            parts.Add((new BillingPeriod(start, change.At), PlanRefAt(start)));
            start = change.At;
        }

        parts.Add((new BillingPeriod(start, period.End, period.Last), PlanRefAt(start)));
        return parts;
    }

    /// <summary>The period that contains <paramref name="at"/>, cut at the end (the last period for instants after it).</summary>
    public BillingPeriod PeriodAt(DateTimeOffset at)
    {
        if (EndedAt is { } end && at >= end)
        {
            at = end.AddTicks(-1) < StartedAt ? StartedAt : end.AddTicks(-1);
        }

        return Cut(BillingPeriod.At(StartedAt, Interval, at));
    }

    /// <summary>The periods that end at or before <paramref name="before"/>, the last one cut at the end.</summary>
    public IEnumerable<BillingPeriod> PeriodsEndedBy(DateTimeOffset before)
    {
        foreach (BillingPeriod period in BillingPeriod.EndedBy(StartedAt, Interval, before))
        {
            if (EndedAt is { } end && period.End >= end)
            {
                break;
            }

            yield return period;
        }

        if (EndedAt is { } ended && ended <= before && ended > StartedAt)
        {
            yield return BillingPeriod.At(StartedAt, Interval, ended.AddTicks(-1)) with { End = ended, Last = true };
        }
    }

    /// <summary>The full period a (possibly cut) period belongs to: what proration divides by.</summary>
    public BillingPeriod FullPeriodOf(BillingPeriod period) => BillingPeriod.At(StartedAt, Interval, period.Start);

    public bool HasEndedBy(DateTimeOffset at) => EndedAt is { } end && end <= at;

    private BillingPeriod Cut(BillingPeriod period) => EndedAt is { } end && end <= period.End && end > period.Start ? period with { End = end, Last = true } : period;
}

/// <summary>A billing period [Start, End); <see cref="Last"/> when it is a subscription's last, cut where it ended.</summary>
public readonly record struct BillingPeriod(DateTimeOffset Start, DateTimeOffset End, bool Last = false)
{
    /// <summary>The usage a period bills, as usage is kept: the whole UTC hours from the hour holding <see cref="Start"/> up to
    /// the hour holding <see cref="End"/>. Consecutive periods tile exactly, and a period starting at 10:30 includes 10:00-11:00.
    /// A last period also bills the hour holding its end: no period follows it, and no event stamped after the end is taken.</summary>
    public (DateTimeOffset From, DateTimeOffset To) UsageHours
    {
        get
        {
            DateTimeOffset to = Usage.UsageCalculator.HourOf(End);
            return (Usage.UsageCalculator.HourOf(Start), Last && to < End ? to.AddHours(1) : to);
        }
    }

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
