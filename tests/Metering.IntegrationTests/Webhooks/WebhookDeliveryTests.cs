using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;
using static Metering.IntegrationTests.Webhooks.WebhookScenario;

namespace Metering.IntegrationTests.Webhooks;

/// <summary>Notifications delivered to real receivers on loopback: each arrives once, signed, with the resource as the API
/// shows it; retries back off on the manual clock; the breaker opens, half-opens and closes; the dead-letter queue holds
/// what exhausted its retries until it is retried.</summary>
[Collection(WebhookCollection.Name)]
public sealed class WebhookDeliveryTests(WebhookFixture fixture)
{
    [Fact]
    public async Task Threshold_invoice_and_billing_run_notifications_each_arrive_once_signed_with_the_resource()
    {
        HttpClient client = await fixture.NewTenantAsync();
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        await fixture.RegisterAsync(client, receiver, "quota.threshold_reached", "quota.exhausted", "invoice.created", "invoice.finalized", "billing_run.completed");
        string subject = await SubscriptionAsync(client);
        await QuotaAsync(client, new { limit = "10", period = "month" });

        await EventsAsync(client, subject, 5);
        await WebhookFixture.EventuallyAsync(() => receiver.Accepted.Count == 1, "the 50 % threshold arrived");
        await EventsAsync(client, subject, 7);
        string invoice = await InvoiceAsync(client);
        Assert.Equal(200, (await client.PostAsync($"/v1/invoices/{invoice}/finalize", new { })).Status);
        (int runStatus, JsonElement run) = await client.PostAsync("/v1/billing-runs", new { period_end_before = Iso(DateTimeOffset.UtcNow) });
        Assert.Equal(202, runStatus);
        await WebhookFixture.EventuallyAsync(() => receiver.Accepted.Count >= 7, "seven notifications arrived");
        await fixture.RoundsAsync();

        IReadOnlyList<ReceivedWebhook> received = receiver.Received;
        Assert.Equal(7, received.Count);
        Assert.All(received, r => Assert.True(r.Verified, r.Body));
        Assert.Equal(7, received.Select(r => r.Id).Distinct().Count());
        Assert.Equal(["50", "80", "100"], received.Where(r => r.Type == "quota.threshold_reached").Select(r => r.Data.Str("threshold")));
        Assert.All(received.Where(r => r.Type.StartsWith("quota.", StringComparison.Ordinal)), r =>
        {
            Assert.Equal("sub_1", r.Data.Str("subscription_id"));
            Assert.Equal("calls", r.Data.Str("meter"));
            Assert.Equal("10", r.Data.Str("limit"));
        });
        ReceivedWebhook exhausted = Assert.Single(received, r => r.Type == "quota.exhausted");
        Assert.Equal("0", exhausted.Data.Str("remaining"));
        ReceivedWebhook created = Assert.Single(received, r => r.Type == "invoice.created");
        ReceivedWebhook finalized = Assert.Single(received, r => r.Type == "invoice.finalized");
        Assert.Equal(invoice, created.Data.Str("id"));
        Assert.Equal("draft", created.Data.Str("status"));
        Assert.Equal(invoice, finalized.Data.Str("id"));
        Assert.Equal("finalized", finalized.Data.Str("status"));
        (_, JsonElement shown) = await client.GetJsonAsync($"/v1/invoices/{invoice}");
        Assert.Equal(shown.GetProperty("total").GetString(), finalized.Data.Str("total"));
        Assert.True(IndexOf(received, created) < IndexOf(received, finalized), "invoice.created arrives before invoice.finalized");
        ReceivedWebhook completed = Assert.Single(received, r => r.Type == "billing_run.completed");
        Assert.Equal(run.Str("id"), completed.Data.Str("id"));
        Assert.Equal("completed", completed.Data.Str("status"));
    }

    [Fact]
    public async Task Voids_re_rating_and_credits_running_low_are_notified_with_their_resources()
    {
        HttpClient client = await fixture.NewTenantAsync();
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        await fixture.RegisterAsync(client, receiver, "invoice.voided", "rerating.completed", "credits.low", "quota.exhausted");
        string subject = await SubscriptionAsync(client);
        await QuotaAsync(client, new { limit = "4", period = "none", thresholds = new[] { 50, 75 } });
        await EventsAsync(client, subject, 3);
        string invoice = await InvoiceAsync(client);
        Assert.Equal(200, (await client.PostAsync($"/v1/invoices/{invoice}/void", new { })).Status);
        (int status, JsonElement job) = await client.PostAsync("/v1/rerating-jobs", new { customer_ids = new[] { "cust_1" }, from = Iso(LastMonth), to = Iso(DateTimeOffset.UtcNow) });
        Assert.Equal(202, status);
        await WebhookFixture.EventuallyAsync(() => receiver.Accepted.Count >= 4, "four notifications arrived");
        await fixture.RoundsAsync();

        IReadOnlyList<ReceivedWebhook> received = receiver.Received;
        Assert.Equal(["50", "75"], received.Where(r => r.Type == "credits.low").Select(r => r.Data.Str("threshold")));
        Assert.DoesNotContain(received, r => r.Type == "quota.exhausted");
        Assert.Equal("1", received.Last(r => r.Type == "credits.low").Data.Str("remaining"));
        ReceivedWebhook voided = Assert.Single(received, r => r.Type == "invoice.voided");
        Assert.Equal((invoice, "voided"), (voided.Data.Str("id"), voided.Data.Str("status")));
        ReceivedWebhook rerated = Assert.Single(received, r => r.Type == "rerating.completed");
        Assert.Equal((job.Str("id"), "completed"), (rerated.Data.Str("id"), rerated.Data.Str("status")));
        Assert.Equal(4, received.Count);
        Assert.All(received, r => Assert.True(r.Verified));
    }

    [Fact]
    public async Task A_receiver_that_fails_three_times_gets_the_notification_once_after_backoff()
    {
        HttpClient client = await fixture.NewTenantAsync();
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        await fixture.RegisterAsync(client, receiver, "invoice.created");
        await SubscriptionAsync(client);
        receiver.FailNext = 3;
        await InvoiceAsync(client);
        await WebhookFixture.EventuallyAsync(() => receiver.Received.Count == 1, "the first attempt arrived");

        // Each retry waits 1, 2 then 4 minutes of the delivery clock: not a moment earlier.
        foreach (TimeSpan delay in new[] { TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(4) })
        {
            int before = receiver.Received.Count;
            fixture.Clock.Advance(delay - TimeSpan.FromSeconds(1));
            await fixture.RoundsAsync();
            Assert.Equal(before, receiver.Received.Count);
            fixture.Clock.Advance(TimeSpan.FromSeconds(1));
            await WebhookFixture.EventuallyAsync(() => receiver.Received.Count == before + 1, "the retry arrived");
        }

        JsonElement delivery = Assert.Single(await DeliveriesAsync(client));
        await WebhookFixture.EventuallyAsync(async () => (await DeliveryAsync(client, delivery.Str("id"))).Str("status") == "delivered", "the delivery is recorded");
        delivery = await DeliveryAsync(client, delivery.Str("id"));
        JsonElement[] attempts = [.. delivery.GetProperty("attempts").EnumerateArray()];
        Assert.Equal([503, 503, 503, 200], attempts.Select(a => a.GetProperty("status_code").GetInt32()));
        Assert.Equal([1, 2, 3, 4], attempts.Select(a => a.GetProperty("number").GetInt32()));
        DateTimeOffset[] at = [.. attempts.Select(a => DateTimeOffset.Parse(a.Str("at"), System.Globalization.CultureInfo.InvariantCulture))];
        Assert.Equal([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(4)], at.Zip(at.Skip(1), (a, b) => b - a));
        Assert.Single(receiver.Accepted);
        Assert.Single(receiver.Received.Select(r => r.Id).Distinct());
        Assert.All(receiver.Received, r => Assert.Equal(receiver.Received[0].Body, r.Body));
    }

    [Fact]
    public async Task The_breaker_opens_sends_nothing_while_open_half_opens_after_the_cool_down_and_closes_on_success()
    {
        HttpClient client = await fixture.NewTenantAsync();
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        string endpoint = await fixture.RegisterAsync(client, receiver, "invoice.created");
        await SubscriptionAsync(client);
        receiver.Down = true;
        await InvoiceAsync(client);
        await WebhookFixture.EventuallyAsync(() => receiver.Received.Count == 1, "the first attempt arrived");
        foreach (int minutes in new[] { 1, 2, 4 })
        {
            int before = receiver.Received.Count;
            fixture.Clock.Advance(TimeSpan.FromMinutes(minutes));
            await WebhookFixture.EventuallyAsync(() => receiver.Received.Count == before + 1, "the retry arrived");
        }

        await WebhookFixture.EventuallyAsync(async () => (await EndpointAsync(client, endpoint)).GetProperty("breaker").Str("state") == "open", "the breaker opened");
        Assert.Equal(WebhookFixture.FailureThreshold, (await EndpointAsync(client, endpoint)).GetProperty("breaker").GetProperty("consecutive_failures").GetInt32());
        string metrics = await new HttpClient { BaseAddress = fixture.BaseAddress }.GetStringAsync("/metrics");
        Assert.Matches("metering_webhook_endpoints\\{breaker=\"open\"\\} [1-9]", metrics);

        // While open, a new notification that is due at once (of another subscription, so not queued behind the first) is not
        // sent, nor anything else, however often the dispatcher looks.
        await SubscriptionAsync(client, "sub_2");
        await InvoiceAsync(client, "sub_2");
        fixture.Clock.Advance(WebhookFixture.CoolDown - TimeSpan.FromSeconds(1));
        await fixture.RoundsAsync(3);
        Assert.Equal(WebhookFixture.FailureThreshold, receiver.Received.Count);

        // After the cool-down one probe goes; while it is in flight the breaker is half-open and nothing else is sent.
        receiver.Down = false;
        receiver.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Clock.Advance(TimeSpan.FromSeconds(1));
        await WebhookFixture.EventuallyAsync(() => receiver.Waiting == 1, "the probe arrived");
        Assert.Equal("half_open", (await EndpointAsync(client, endpoint)).GetProperty("breaker").Str("state"));
        Assert.Equal(1, receiver.Waiting);
        Assert.Equal(WebhookFixture.FailureThreshold, receiver.Received.Count);
        TaskCompletionSource hold = receiver.Hold;
        receiver.Hold = null;
        hold.SetResult();

        await WebhookFixture.EventuallyAsync(async () => (await EndpointAsync(client, endpoint)).GetProperty("breaker").Str("state") == "closed", "the breaker closed");
        Assert.Equal(0, (await EndpointAsync(client, endpoint)).GetProperty("breaker").GetProperty("consecutive_failures").GetInt32());
        fixture.Clock.Advance(TimeSpan.FromMinutes(8)); // the first invoice's next attempt
        await WebhookFixture.EventuallyAsync(() => receiver.Accepted.Count == 2, "both invoices were delivered");
        Assert.Equal(2, receiver.Accepted.Select(r => r.Data.Str("id")).Distinct().Count());
    }

    [Fact]
    public async Task A_delivery_that_exhausts_its_retries_waits_in_the_dead_letter_queue_until_retried()
    {
        HttpClient client = await fixture.NewTenantAsync();
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        string endpoint = await fixture.RegisterAsync(client, receiver, "invoice.created");
        await SubscriptionAsync(client);
        string invoice = await DeadLetterAsync(client, receiver);
        string query = $"?status=failed&endpoint_id={endpoint}";
        await WebhookFixture.EventuallyAsync(async () => (await DeliveriesAsync(client, query)).Length == 1, "the delivery is dead-lettered");
        JsonElement dead = Assert.Single(await DeliveriesAsync(client, query));
        Assert.Equal("failed", dead.Str("status"));
        Assert.Equal(invoice, dead.GetProperty("payload").GetProperty("data").Str("id"));
        Assert.Equal(WebhookFixture.MaxAttempts, dead.Attempts());
        Assert.All(dead.GetProperty("attempts").EnumerateArray(), a =>
        {
            Assert.Equal(503, a.GetProperty("status_code").GetInt32());
            Assert.True(a.GetProperty("latency_ms").GetDouble() > 0);
            Assert.Contains("503", a.Str("error"), StringComparison.Ordinal);
        });
        await fixture.RoundsAsync(3);
        Assert.Equal(WebhookFixture.MaxAttempts, receiver.Received.Count);

        receiver.Down = false;
        (int status, JsonElement retried) = await client.PostAsync($"/v1/webhook-deliveries/{dead.Str("id")}/retry", new { });
        Assert.Equal(202, status);
        Assert.Equal("pending", retried.Str("status"));
        fixture.Clock.Advance(WebhookFixture.CoolDown); // the breaker is still open from the failures
        await WebhookFixture.EventuallyAsync(() => receiver.Accepted.Count == 1, "the retried delivery arrived");
        await WebhookFixture.EventuallyAsync(async () => (await DeliveryAsync(client, dead.Str("id"))).Str("status") == "delivered", "the delivery is recorded");
        Assert.Empty(await DeliveriesAsync(client, query));
        Assert.Equal(dead.GetProperty("payload").GetProperty("id").GetString(), receiver.Accepted[0].Id);

        (int again, JsonElement problem) = await client.PostAsync($"/v1/webhook-deliveries/{dead.Str("id")}/retry", new { });
        Assert.Equal((409, "WEBHOOK_DELIVERY_DELIVERED"), (again, problem.Code()));
        Assert.Equal(404, (await client.PostAsync($"/v1/webhook-deliveries/{Guid.NewGuid()}/retry", new { })).Status);
    }

    [Fact]
    public async Task A_change_that_is_refused_sends_nothing_and_endpoints_get_only_what_they_subscribe_to_while_enabled()
    {
        HttpClient client = await fixture.NewTenantAsync();
        await using WebhookReceiver finalizedOnly = await WebhookReceiver.StartAsync();
        await using WebhookReceiver disabled = await WebhookReceiver.StartAsync();
        await using WebhookReceiver created = await WebhookReceiver.StartAsync();
        await fixture.RegisterAsync(client, finalizedOnly, "invoice.finalized");
        string off = await fixture.RegisterAsync(client, disabled, "invoice.created");
        (int patched, JsonElement endpoint, _) = await client.SendJsonAsync(HttpMethod.Patch, $"/v1/webhook-endpoints/{off}", new { enabled = false });
        Assert.Equal(200, patched);
        Assert.False(endpoint.GetProperty("enabled").GetBoolean());
        await fixture.RegisterAsync(client, created, "invoice.created");
        await SubscriptionAsync(client);

        await InvoiceAsync(client);
        (int status, JsonElement problem) = await client.PostAsync("/v1/invoices", new { subscription_id = "sub_1", period_start = Iso(LastMonth) });
        Assert.Equal((409, "INVOICE_ALREADY_EXISTS"), (status, problem.Code()));
        await WebhookFixture.EventuallyAsync(() => created.Accepted.Count == 1, "invoice.created arrived");
        await fixture.RoundsAsync(3);

        Assert.Single(created.Received);
        Assert.Empty(finalizedOnly.Received);
        Assert.Empty(disabled.Received);
        Assert.Single(await DeliveriesAsync(client));
    }

    [Fact]
    public async Task Metrics_count_deliveries_by_outcome_with_a_latency_histogram_and_the_outbox()
    {
        HttpClient client = await fixture.NewTenantAsync();
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        await fixture.RegisterAsync(client, receiver, "invoice.created");
        await SubscriptionAsync(client);
        await InvoiceAsync(client);
        await WebhookFixture.EventuallyAsync(() => receiver.Accepted.Count == 1, "the notification arrived");
        await fixture.RoundsAsync();

        string metrics = await new HttpClient { BaseAddress = fixture.BaseAddress }.GetStringAsync("/metrics");
        Assert.Matches("metering_webhook_deliveries_total\\{outcome=\"delivered\"\\} [1-9]", metrics);
        Assert.Contains("metering_webhook_deliveries_total{outcome=\"dead_lettered\"}", metrics, StringComparison.Ordinal);
        Assert.Matches("metering_webhook_delivery_seconds_bucket\\{le=\"\\+Inf\"\\} [1-9]", metrics);
        Assert.Matches("metering_webhook_delivery_seconds_count [1-9]", metrics);
        Assert.Matches("metering_webhook_outbox_depth \\d+", metrics);
        Assert.Matches("metering_webhook_outbox_oldest_age_seconds [\\d.E+-]+", metrics);
        Assert.Matches("metering_webhook_dead_letters \\d+", metrics);
        Assert.Matches("metering_webhook_endpoints\\{breaker=\"closed\"\\} [1-9]", metrics);
        Assert.DoesNotContain(receiver.Url, metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cli_lists_shows_and_retries_the_dead_letter_queue()
    {
        (HttpClient client, string key) = await fixture.NewTenantWithKeyAsync();
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        await fixture.RegisterAsync(client, receiver, "invoice.created");
        await SubscriptionAsync(client);
        string invoice = await DeadLetterAsync(client, receiver);
        string id = Assert.Single(await DeliveriesAsync(client, "?status=failed")).Str("id");
        var env = new Dictionary<string, string> { [Metering.Cli.GlobalOptions.UrlVariable] = fixture.BaseAddress.ToString(), [Metering.Cli.GlobalOptions.KeyVariable] = key };

        CliRunner.CliResult list = await CliRunner.RunAsync(env, "webhooks", "dlq", "list");
        Assert.True(list.ExitCode == Metering.Cli.ExitCodes.Ok, list.ToString());
        Assert.Contains(id, list.Out, StringComparison.Ordinal);
        Assert.Contains("1 failed deliveries", list.Out, StringComparison.Ordinal);
        CliRunner.CliResult show = await CliRunner.RunAsync(env, "webhooks", "dlq", "show", id, "--json");
        Assert.True(show.ExitCode == Metering.Cli.ExitCodes.Ok, show.ToString());
        JsonElement shown = JsonDocument.Parse(show.Out).RootElement;
        Assert.Equal(WebhookFixture.MaxAttempts, shown.Attempts());
        Assert.Equal(invoice, shown.GetProperty("payload").GetProperty("data").Str("id"));
        CliRunner.CliResult table = await CliRunner.RunAsync(env, "webhooks", "dlq", "show", id);
        Assert.Contains("503", table.Out, StringComparison.Ordinal);

        receiver.Down = false;
        CliRunner.CliResult retried = await CliRunner.RunAsync(env, "webhooks", "dlq", "retry", id);
        Assert.True(retried.ExitCode == Metering.Cli.ExitCodes.Ok, retried.ToString());
        Assert.Contains("pending", retried.Out, StringComparison.Ordinal);
        fixture.Clock.Advance(WebhookFixture.CoolDown);
        await WebhookFixture.EventuallyAsync(async () => (await DeliveryAsync(client, id)).Str("status") == "delivered", "the retried delivery is delivered");
        Assert.Single(receiver.Accepted);
        CliRunner.CliResult empty = await CliRunner.RunAsync(env, "webhooks", "dlq", "list", "--json");
        Assert.Empty(JsonDocument.Parse(empty.Out).RootElement.GetProperty("data").EnumerateArray());
        CliRunner.CliResult again = await CliRunner.RunAsync(env, "webhooks", "dlq", "retry", id);
        Assert.Equal(Metering.Cli.ExitCodes.Refused, again.ExitCode);
        Assert.Contains("WEBHOOK_DELIVERY_DELIVERED", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_receiver_that_refuses_the_connection_or_does_not_answer_in_time_is_a_failed_attempt_without_a_status()
    {
        HttpClient client = await fixture.NewTenantAsync();
        int closed = GatewayProcess.FreePort();
        (int status, JsonElement created) = await client.PostAsync("/v1/webhook-endpoints", new { url = $"http://127.0.0.1:{closed}/hooks", events = new[] { "invoice.created" } });
        Assert.Equal(201, status);
        await SubscriptionAsync(client);
        await InvoiceAsync(client);
        await WebhookFixture.EventuallyAsync(async () => Assert.Single(await DeliveriesAsync(client)).Attempts() == 1, "the attempt is recorded");
        JsonElement refused = Assert.Single(await DeliveriesAsync(client)).GetProperty("attempts")[0];
        Assert.Equal(JsonValueKind.Null, refused.GetProperty("status_code").ValueKind);
        Assert.False(string.IsNullOrEmpty(refused.Str("error")));

        // A pending delivery is answered as it is by a retry.
        string id = Assert.Single(await DeliveriesAsync(client)).Str("id");
        (int again, JsonElement pending) = await client.PostAsync($"/v1/webhook-deliveries/{id}/retry", new { });
        Assert.Equal((200, "pending", 1), (again, pending.Str("status"), pending.Attempts()));
        Assert.Equal(204, (int)(await client.DeleteAsync($"/v1/webhook-endpoints/{created.GetProperty("endpoint").Str("id")}")).StatusCode);
        Assert.Empty(await DeliveriesAsync(client));

        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        await fixture.RegisterAsync(client, receiver, "invoice.created");
        receiver.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await InvoiceAsync(client, periodStart: LastMonth.AddMonths(1));
        await WebhookFixture.EventuallyAsync(async () => (await DeliveriesAsync(client)) is [var d] && d.Attempts() == 1, "the attempt timed out");
        JsonElement timedOut = Assert.Single(await DeliveriesAsync(client)).GetProperty("attempts")[0];
        Assert.Equal(JsonValueKind.Null, timedOut.GetProperty("status_code").ValueKind);
        Assert.StartsWith("No answer within", timedOut.Str("error"), StringComparison.Ordinal);
        receiver.Hold.SetResult();
    }

    /// <summary>With the receiver down, an invoice's notification goes through all its attempts (the clock moved an hour
    /// after each, past any backoff and the breaker's cool-down) into the dead-letter queue; returns the invoice's id.</summary>
    private async Task<string> DeadLetterAsync(HttpClient client, WebhookReceiver receiver)
    {
        receiver.Down = true;
        string invoice = await InvoiceAsync(client);
        for (int attempt = 1; attempt <= WebhookFixture.MaxAttempts; attempt++)
        {
            await WebhookFixture.EventuallyAsync(async () => Assert.Single(await DeliveriesAsync(client)).Attempts() == attempt, $"attempt {attempt} is recorded");
            fixture.Clock.Advance(TimeSpan.FromHours(1));
        }

        await WebhookFixture.EventuallyAsync(async () => (await DeliveriesAsync(client, "?status=failed")).Length == 1, "the delivery is dead-lettered");
        return invoice;
    }

    private static int IndexOf(IReadOnlyList<ReceivedWebhook> received, ReceivedWebhook item)
        => received.Select((r, i) => (r, i)).First(p => ReferenceEquals(p.r, item)).i;
}
