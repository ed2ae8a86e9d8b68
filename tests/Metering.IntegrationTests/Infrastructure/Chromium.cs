using Microsoft.Playwright;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>Debian's Chromium (<c>apt-get install chromium</c>, which ./scripts/test does when run as root) driven by
/// Playwright; Playwright's own browser download is never used. <c>METERING_CHROMIUM</c> names another binary.</summary>
public static class Chromium
{
    public static string? ExecutablePath { get; } = Find();

    /// <summary>Why browser tests cannot run here, or null when they can.</summary>
    public static string? Missing => ExecutablePath is null
        ? "Chromium is not installed (apt-get install chromium; ./scripts/test installs it when run as root), or set METERING_CHROMIUM"
        : null;

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        IPlaywright playwright = await Playwright.CreateAsync();
        IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // Tests run as root in containers, where Chromium's sandbox cannot start.
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
        return (playwright, browser);
    }

    /// <summary>Where screenshots go: .data/screenshots/ of the repository.</summary>
    public static string ScreenshotPath(string name)
    {
        string dir = Path.Combine(GatewayProcess.RepositoryRoot(), ".data", "screenshots");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name + ".png");
    }

    private static string? Find()
    {
        string? configured = Environment.GetEnvironmentVariable("METERING_CHROMIUM");
        IEnumerable<string> candidates = configured is { Length: > 0 } ? [configured] : ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
        return candidates.FirstOrDefault(File.Exists);
    }
}

/// <summary>A test that needs Chromium: skipped, saying why, where it is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.Missing is { } reason)
        {
            Skip = reason;
        }
    }
}
