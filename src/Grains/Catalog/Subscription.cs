namespace Metering.Grains.Catalog;

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
