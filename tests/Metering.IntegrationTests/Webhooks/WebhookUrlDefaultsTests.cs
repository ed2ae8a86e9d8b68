using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests.Webhooks;

/// <summary>With the default settings (no <c>Webhooks:AllowLoopback</c>), a URL on this machine is refused like any other
/// address that is not public, by name as well as by address.</summary>
[Collection(AppCollection.Name)]
public sealed class WebhookUrlDefaultsTests(AppFixture app)
{
    [Theory]
    [InlineData("http://127.0.0.1:8080/hooks")]
    [InlineData("http://localhost/hooks")]
    [InlineData("http://[::1]/hooks")]
    [InlineData("http://10.0.0.1/hooks")]
    public async Task A_loopback_or_private_url_is_refused_by_default(string url)
    {
        HttpClient client = await app.NewTenantAsync();
        (int status, JsonElement problem) = await client.PostAsync("/v1/webhook-endpoints", new { url, events = new[] { "invoice.created" } });
        Assert.Equal((422, "WEBHOOK_URL_REFUSED"), (status, problem.Code()));
        Assert.Contains("address webhooks are not sent to", problem.Str("detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_public_address_is_accepted()
    {
        HttpClient client = await app.NewTenantAsync();
        (int status, JsonElement body) = await client.PostAsync("/v1/webhook-endpoints", new { url = "https://203.0.113.10/hooks", events = new[] { "credits.low" } });
        Assert.True(status == 201, body.ToString());
    }
}
