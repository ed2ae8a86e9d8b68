using Metering.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace Metering.IntegrationTests.Dashboard;

/// <summary>The dashboard of a real two-silo cluster in Chromium: the silo killed with SIGKILL turns red on the page that
/// the other silo serves, without reloading it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DashboardClusterBrowserTests
{
    [ChromiumFact]
    public async Task A_killed_silo_turns_red_on_the_open_page()
    {
        await using SiloCluster cluster = await SiloCluster.StartAsync(2);
        GatewayProcess watched = cluster.Silos[0], victim = cluster.Silos[1];
        (IPlaywright playwright, IBrowser browser) = await Chromium.LaunchAsync();
        using IPlaywright _ = playwright;
        await using IBrowser __ = browser;
        IPage page = await browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(new Uri(watched.Address, "/dashboard").ToString());
        await page.FillAsync("#key", GatewayProcess.AdminKey);
        await page.ClickAsync("#sign-in");
        string victimRow = $"#silos tbody tr:has(td:text-is('{victim.Address.GetLeftPart(UriPartial.Authority)}'))";
        await page.WaitForSelectorAsync(victimRow + ".status-active");
        Assert.Equal(2, await page.Locator("#silos tbody tr.status-active").CountAsync());
        // The traffic panel is the cluster's, with a row for each silo.
        await page.WaitForSelectorAsync("#traffic-nodes tbody tr:nth-child(2)");
        Assert.StartsWith("cluster · 2 silos", await page.TextContentAsync("#traffic-node"), StringComparison.Ordinal);

        victim.Kill();
        await page.WaitForSelectorAsync($"{victimRow}.status-suspected, {victimRow}.status-dead");
        string color = await page.EvalOnSelectorAsync<string>(victimRow + " td", "td => getComputedStyle(td).backgroundColor");
        Assert.Equal("rgb(253, 226, 226)", color);
        await page.WaitForSelectorAsync(victimRow + ".status-dead");
        Assert.Equal(1, await page.Locator("#silos tbody tr.status-active").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Chromium.ScreenshotPath("dashboard-silo-dead"), FullPage = true });
    }
}
