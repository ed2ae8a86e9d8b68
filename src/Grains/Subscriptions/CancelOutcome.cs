namespace Metering.Grains.Subscriptions;

public enum CancelStatus
{
    Canceled,

    /// <summary>The subscription had already ended.</summary>
    AlreadyEnded,

    /// <summary>Events stamped at or after the requested end were accepted already.</summary>
    EventsAfterEnd,

    /// <summary>A finalized invoice covers time after the requested end.</summary>
    PeriodClosed,
}

/// <summary>What a cancel did: the end, and the draft invoices it cut at the end (<see cref="Reshaped"/>, to price again) or
/// voided (periods wholly after the end).</summary>
public sealed record CancelOutcome(CancelStatus Status, DateTimeOffset? End, IReadOnlyList<Guid> Reshaped, IReadOnlyList<Guid> Voided, string? Detail = null)
{
    public static CancelOutcome Refused(CancelStatus status, string detail) => new(status, null, [], [], detail);
}
