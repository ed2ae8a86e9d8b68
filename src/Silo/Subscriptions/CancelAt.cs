namespace Metering.Silo.Subscriptions;

/// <summary>The <c>at</c> of a cancel request (<see cref="Instant"/> only with <see cref="CancelMode.At"/>).</summary>
public sealed record CancelAt(CancelMode Mode, DateTimeOffset? Instant = null);
