namespace Metering.Grains.Subscriptions;

/// <summary>What a cancel did: the end, and the draft invoices it cut at the end (<see cref="Reshaped"/>, to price again) or
/// voided (periods wholly after the end).</summary>
public sealed record CancelOutcome(CancelStatus Status, DateTimeOffset? End, IReadOnlyList<Guid> Reshaped, IReadOnlyList<Guid> Voided, string? Detail = null)
{
    public static CancelOutcome Refused(CancelStatus status, string detail) => new(status, null, [], [], detail);
}
