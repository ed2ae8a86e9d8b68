namespace Metering.IntegrationTests.Infrastructure;

/// <summary>The servers under test run on the system clock. A test whose counts live in the current hour (or day, or month)
/// window starts away from the window's end, so a boundary passing mid-test cannot split its counts.</summary>
public static class WallClock
{
    public static async Task AwayFromHourEndAsync(TimeSpan? margin = null)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset nextHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(1);
        if (nextHour - now < (margin ?? TimeSpan.FromSeconds(60)))
        {
            await Task.Delay(nextHour - now + TimeSpan.FromSeconds(1));
        }
    }
}
