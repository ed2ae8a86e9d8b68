using System.Diagnostics;
using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Metering.IntegrationTests;

/// <summary>Readiness means "this node can accept writes now": it follows PostgreSQL going away and coming back, while
/// liveness does not.</summary>
public sealed class ReadinessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Readiness_turns_503_while_PostgreSQL_is_down_and_comes_back_with_writes_and_nothing_lost()
    {
        await using PrivatePostgres postgres = await PrivatePostgres.StartAsync("pg-readiness");
        await using GatewayProcess silo = await GatewayProcess.StartAsync(postgres.ConnectionString);
        using HttpClient client = silo.Client();
        string subject = await client.SetUpSubscriptionAsync("sub_ready", ClusterScenario.TokensMeter);
        Assert.Equal(200, (await client.GetJsonAsync("/health/ready")).Status);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(201, (await client.PostAsync("/v1/events", Tokens($"before-{i}", subject))).Status);
        }

        await postgres.StopAsync();
        var down = Stopwatch.StartNew();
        JsonElement notReady = await WaitForReadinessAsync(client, 503, TimeSpan.FromSeconds(15));
        output.WriteLine($"readiness 503 {down.ElapsedMilliseconds} ms after PostgreSQL stopped: {notReady}");
        Assert.Equal("unreachable", notReady.Str("database"));
        Assert.Equal(200, (await client.GetJsonAsync("/health/live")).Status);
        (int refused, JsonElement problem) = await client.PostAsync("/v1/events", Tokens("during", subject));
        Assert.True(refused == 503, problem.ToString());

        // An outage longer than a lease: the silo's leases lapse, and it has to rejoin once PostgreSQL is back.
        JsonElement lapsed = await WaitForReadinessAsync(client, 503, TimeSpan.FromSeconds(30), body => body.Str("heartbeat") == "stale");
        output.WriteLine($"leases lapsed {down.ElapsedMilliseconds} ms after PostgreSQL stopped: {lapsed}");

        await postgres.StartAsync();
        var up = Stopwatch.StartNew();
        JsonElement ready = await WaitForReadinessAsync(client, 200, TimeSpan.FromSeconds(30));
        output.WriteLine($"readiness 200 {up.ElapsedMilliseconds} ms after PostgreSQL started: {ready}");
        Assert.Equal("reachable", ready.Str("database"));
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(201, await PostAfterOutageAsync(client, Tokens($"after-{i}", subject)));
        }

        Assert.Equal(409, (await client.PostAsync("/v1/events", Tokens("before-0", subject))).Status);
        Assert.Equal(40m, await ClusterScenario.UsageAsync(client, "sub_ready"));
    }

    /// <summary>A write right after the outage may still meet a connection that died with the server (503 asks for a retry,
    /// and the same idempotency key is applied once): up to three tries; a retry that finds the event stored counts as 201.</summary>
    private static async Task<int> PostAfterOutageAsync(HttpClient client, object e)
    {
        int status = 0;
        for (int attempt = 0; attempt < 3 && status is 0 or 503; attempt++)
        {
            status = (await client.PostAsync("/v1/events", e)).Status;
            status = status == 409 && attempt > 0 ? 201 : status;
        }

        return status;
    }

    private static object Tokens(string key, string subject) => new { idempotency_key = key, subject, event_type = "tokens", properties = new { tokens = 1 } };

    private static async Task<JsonElement> WaitForReadinessAsync(HttpClient client, int status, TimeSpan limit, Func<JsonElement, bool>? also = null)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            (int now, JsonElement body) = await client.GetJsonAsync("/health/ready");
            if (now == status && (also is null || also(body)))
            {
                return body;
            }

            Assert.True(waited.Elapsed < limit, $"readiness did not turn {status} within {limit.TotalSeconds} s; last answer {now}: {body}");
            await Task.Delay(200);
        }
    }
}
