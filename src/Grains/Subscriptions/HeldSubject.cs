namespace Metering.Grains.Subscriptions;

/// <summary>A subject a subscription holds over [<see cref="From"/>, <see cref="To"/>) (MinValue and MaxValue: no bound).</summary>
public sealed record HeldSubject(string Subject, DateTimeOffset From, DateTimeOffset To);
