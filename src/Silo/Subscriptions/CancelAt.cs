namespace Metering.Silo.Subscriptions;

/// <summary>When a cancel takes effect: <c>now</c>, at the end of the current period, or at a given instant.</summary>
public enum CancelMode
{
    Now,
    PeriodEnd,
    At,
}

/// <summary>The <c>at</c> of a cancel request (<see cref="Instant"/> only with <see cref="CancelMode.At"/>).</summary>
public sealed record CancelAt(CancelMode Mode, DateTimeOffset? Instant = null);
