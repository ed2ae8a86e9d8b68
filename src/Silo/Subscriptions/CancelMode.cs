namespace Metering.Silo.Subscriptions;

/// <summary>When a cancel takes effect: <c>now</c>, at the end of the current period, or at a given instant.</summary>
public enum CancelMode
{
    Now,
    PeriodEnd,
    At,
}
