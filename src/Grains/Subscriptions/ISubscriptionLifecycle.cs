namespace Metering.Grains.Subscriptions;

/// <summary>What a subscription grain reads and writes of its own lifecycle, in PostgreSQL, bypassing every cache.</summary>
public interface ISubscriptionLifecycle
{
    /// <summary>When the subscription ends (null: it does not).</summary>
    Task<DateTimeOffset?> EndOfAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>The timestamp of the subscription's newest accepted event (null: none).</summary>
    Task<DateTimeOffset?> NewestEventAsync(string tenantId, string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>In one transaction: ends the subscription at <paramref name="end"/> (its revision grows), frees its subjects from
    /// then on, cuts the draft invoice of the period holding the end and voids drafts after it. Refused (PeriodClosed) when a
    /// finalized invoice covers time after the end.</summary>
    Task<CancelOutcome> EndAsync(string tenantId, string subscriptionId, DateTimeOffset end, DateTimeOffset canceledAt, CancellationToken cancellationToken = default);
}
