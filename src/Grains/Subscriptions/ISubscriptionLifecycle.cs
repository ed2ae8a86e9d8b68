namespace Metering.Grains.Subscriptions;

/// <summary>What a subscription grain reads and writes of its own lifecycle, in PostgreSQL, bypassing every cache.</summary>
public interface ISubscriptionLifecycle
{
    /// <summary>When the subscription ends (null: it does not).</summary>
    Task<DateTimeOffset?> EndOfAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>The timestamp of the subscription's newest accepted event (null: none).</summary>
    Task<DateTimeOffset?> NewestEventAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>The subjects the subscription holds, each over its time range.</summary>
    Task<IReadOnlyList<HeldSubject>> HeldSubjectsAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>The timestamp of the newest accepted event of one subject of the subscription (null: none).</summary>
    Task<DateTimeOffset?> NewestEventOfAsync(string tenantId, string subscriptionId, string subject, CancellationToken cancellationToken = default);

    /// <summary>The subscription holds the subject from <paramref name="from"/> on (until its end); Taken when another holds
    /// it over part of that time (PostgreSQL's exclusion constraint decides), Ended when the subscription ends by then.</summary>
    Task<SubjectChangeStatus> AddSubjectAsync(string tenantId, string subscriptionId, string subject, DateTimeOffset from, CancellationToken cancellationToken = default);

    /// <summary>The subscription stops holding the subject at <paramref name="at"/>; NotHeld when it does not hold it then.</summary>
    Task<SubjectChangeStatus> RemoveSubjectAsync(string tenantId, string subscriptionId, string subject, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>In one transaction: ends the subscription at <paramref name="end"/> (its revision grows), frees its subjects from
    /// then on, cuts the draft invoice of the period holding the end and voids drafts after it. Refused (PeriodClosed) when a
    /// finalized invoice covers time after the end.</summary>
    Task<CancelOutcome> EndAsync(string tenantId, string subscriptionId, DateTimeOffset end, DateTimeOffset canceledAt, CancellationToken cancellationToken = default);
}
