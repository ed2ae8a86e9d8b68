using System.Globalization;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace Metering.IntegrationTests.Dashboard;

/// <summary>The dashboard in a real browser (Debian's Chromium through Playwright) against the live server: it logs in,
/// sees the cluster, watches counters and the ingest chart move as events are sent through the API, opens a subscription
/// and reads the usage that was sent. Assertions are on the page's content; screenshots are saved under .data/screenshots.</summary>
[Collection(AppCollection.Name)]
public sealed class DashboardBrowserTests(AppFixture app) : IAsyncLifetime
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        if (Chromium.Missing is null)
        {
            (_playwright, _browser) = await Chromium.LaunchAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    [ChromiumFact]
    public async Task An_admin_watches_events_arrive_and_opens_a_subscription_whose_usage_equals_what_was_sent()
    {
        (string tenant, _, HttpClient client) = await app.NewTenantWithKeyAsync();
        string subject = await client.SetUpSubscriptionAsync("sub_browser", new { code = "tokens", event_type = "tokens", aggregation = "sum", value_property = "n", group_by = new[] { "model" } });
        IPage page = await SignInAsync(AppFixture.AdminKey);

        Assert.Equal("admin: whole node", await page.InnerTextAsync("#mode"));
        await WaitForTextAsync(page, "#silos tbody tr.silo td.status", "active");
        Assert.DoesNotContain(AppFixture.AdminKey, page.Url, StringComparison.Ordinal);
        Assert.Equal(AppFixture.AdminKey, await page.EvaluateAsync<string>("() => sessionStorage.getItem('metering.dashboard.key')"));
        await WaitForAsync(page, "() => document.querySelector('#chart-ingest polyline') !== null");
        long acceptedBefore = Number(await page.InnerTextAsync("#events-accepted"));
        string chartBefore = await page.GetAttributeAsync("#chart-ingest polyline[data-series=accepted]", "points") ?? "";

        // 400 events in 4 batches; their n values sum to 400 × 401 / 2.
        for (int batch = 0; batch < 4; batch++)
        {
            var events = Enumerable.Range(batch * 100 + 1, 100).Select(i => new { idempotency_key = $"br-{i}", subject, event_type = "tokens", properties = new { n = i, model = i % 2 == 0 ? "a" : "b" } });
            Assert.Equal(207, (await client.PostAsync("/v1/events/batch", new { events })).Status);
        }

        await WaitForAsync(page, $"() => Number(document.getElementById('events-accepted').textContent.replace(/,/g, '')) >= {acceptedBefore + 400}");
        await WaitForAsync(page, "() => Number(document.querySelector('#chart-ingest text').textContent.replace(/,/g, '')) > 1");
        Assert.NotEqual(chartBefore, await page.GetAttributeAsync("#chart-ingest polyline[data-series=accepted]", "points"));
        await WaitForAsync(page, "() => Number(document.getElementById('ingest-p99').textContent.replace(/,/g, '')) > 0");
        Assert.True(Decimal(await page.InnerTextAsync("#ingest-p99")) >= Decimal(await page.InnerTextAsync("#ingest-p50")));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Chromium.ScreenshotPath("dashboard-traffic"), FullPage = true });

        await page.FillAsync("#search-tenant", tenant);
        await page.FillAsync("#search-subscription", "sub_browser");
        await page.ClickAsync("#open-subscription");
        await WaitForAsync(page, "() => document.querySelector('#usage tr[data-meter=tokens]') !== null");
        string[] cells = [.. (await page.Locator("#usage tr[data-meter=tokens] td").AllInnerTextsAsync())];
        Assert.Equal(["tokens", "sum", (400 * 401 / 2).ToString(CultureInfo.InvariantCulture), "400"], cells[..4]);
        Assert.Contains($"sub_browser of tenant {tenant}", await page.InnerTextAsync("#subscription-summary"));
        await WaitForTextAsync(page, "#hot-grains tbody", $"{tenant}/sub_browser");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Chromium.ScreenshotPath("dashboard-subscription"), FullPage = true });
    }

    [ChromiumFact]
    public async Task A_tenant_key_shows_its_own_subscription_and_cannot_open_another_tenants()
    {
        (string tenantA, _, HttpClient a) = await app.NewTenantWithKeyAsync();
        string subjectA = await a.SetUpSubscriptionAsync("sub_shared_name", new { code = "calls", event_type = "call", aggregation = "count" });
        await a.PostAsync("/v1/events", new { idempotency_key = "ta-1", subject = subjectA, event_type = "call" });
        (_, string keyB, HttpClient b) = await app.NewTenantWithKeyAsync();
        string subjectB = await b.SetUpSubscriptionAsync("sub_b_only", new { code = "calls", event_type = "call", aggregation = "count" });
        await b.PostAsync("/v1/events/batch", new { events = new[] { new { idempotency_key = "tb-1", subject = subjectB, event_type = "call" }, new { idempotency_key = "tb-2", subject = subjectB, event_type = "call" } } });

        IPage page = await SignInAsync(keyB);
        Assert.Equal("tenant view", await page.InnerTextAsync("#mode"));
        Assert.False(await page.IsVisibleAsync("#traffic"));
        Assert.False(await page.IsVisibleAsync("#search-tenant"));
        await WaitForTextAsync(page, "#silos tbody tr.silo td.status", "active");

        await page.FillAsync("#search-subscription", "sub_shared_name");
        await page.ClickAsync("#open-subscription");
        await WaitForTextAsync(page, "#subscription-error", "was not found");
        Assert.False(await page.IsVisibleAsync("#subscription-view"));

        await page.FillAsync("#search-subscription", "sub_b_only");
        await page.ClickAsync("#open-subscription");
        await WaitForAsync(page, "() => document.querySelector('#usage tr[data-meter=calls]') !== null");
        Assert.Equal("2", (await page.Locator("#usage tr[data-meter=calls] td").AllInnerTextsAsync())[2]);
        Assert.DoesNotContain(tenantA, await page.ContentAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Chromium.ScreenshotPath("dashboard-tenant"), FullPage = true });
    }

    [ChromiumFact]
    public async Task A_wrong_key_is_refused_and_signing_out_forgets_the_key()
    {
        IPage page = await NewPageAsync();
        await page.FillAsync("#key", "not-a-key");
        await page.ClickAsync("#sign-in");
        await WaitForTextAsync(page, "#login-error", "not accepted");
        Assert.True(await page.IsHiddenAsync("#app"));

        page = await SignInAsync(AppFixture.AdminKey);
        await page.ClickAsync("#sign-out");
        Assert.True(await page.IsVisibleAsync("#login"));
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('metering.dashboard.key')"));
    }

    private async Task<IPage> NewPageAsync()
    {
        IBrowserContext context = await _browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1000 } });
        IPage page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)s_wait.TotalMilliseconds);
        await page.GotoAsync(new Uri(app.BaseAddress, "/dashboard").ToString());
        return page;
    }

    private async Task<IPage> SignInAsync(string key)
    {
        IPage page = await NewPageAsync();
        await page.FillAsync("#key", key);
        await page.ClickAsync("#sign-in");
        await page.WaitForSelectorAsync("#app:not([hidden])");
        return page;
    }

    private static Task WaitForAsync(IPage page, string predicate)
        => page.WaitForFunctionAsync(predicate, null, new PageWaitForFunctionOptions { Timeout = (float)s_wait.TotalMilliseconds, PollingInterval = 200 });

    private static Task WaitForTextAsync(IPage page, string selector, string text)
        => WaitForAsync(page, $"() => [...document.querySelectorAll({JsonSerializer.Serialize(selector)})].some(e => e.textContent.includes({JsonSerializer.Serialize(text)}))");

    private static decimal Decimal(string text) => decimal.Parse(text.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    private static long Number(string text) => long.Parse(text.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
}
