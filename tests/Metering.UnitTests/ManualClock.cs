namespace Metering.Testing;

/// <summary>A clock that moves only when told, wall time and monotonic timestamps together (what token buckets and cache
/// ages read). Timers are the system's: code that waits on one still waits in real time. Shared by the unit and the
/// integration tests.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _elapsedTicks;

    public override DateTimeOffset GetUtcNow() => start.AddTicks(Interlocked.Read(ref _elapsedTicks));

    public override long GetTimestamp() => Interlocked.Read(ref _elapsedTicks);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        Interlocked.Add(ref _elapsedTicks, by.Ticks);
    }

    /// <summary>Moves the clock forward to <paramref name="now"/>.</summary>
    public void Set(DateTimeOffset now) => Advance(now - GetUtcNow());
}
