namespace Metering.Silo.Usage;

/// <summary>Where an event counts in a rollup: its subscription, its subject (empty in the hourly rollup, which is per
/// subscription), where its hour or minute starts, and its group.</summary>
public readonly record struct RollupKey(string Subscription, string Subject, DateTimeOffset Start, string Group);
