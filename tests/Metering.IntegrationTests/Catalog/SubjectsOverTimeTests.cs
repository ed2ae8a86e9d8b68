using System.Text.Json;
using Metering.IntegrationTests.Infrastructure;

namespace Metering.IntegrationTests.Catalog;

/// <summary>Subjects added to and removed from subscriptions with effective times: an event belongs to the subscription that
/// held its subject at the event's timestamp.</summary>
[Collection(AppCollection.Name)]
public sealed class SubjectsOverTimeTests(AppFixture app)
{
    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ");

    [Fact]
    public async Task An_event_goes_to_the_subscription_that_held_its_subject_at_its_timestamp()
    {
        using HttpClient client = await app.NewTenantAsync();
        await client.SetUpSubscriptionAsync("sub_1", new { code = "calls", event_type = "call", aggregation = "count" });
        await client.SetUpSubscriptionAsync("sub_2");
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset from = DateTimeOffset.Parse(Iso(now.AddHours(-3))), moved = DateTimeOffset.Parse(Iso(now.AddHours(-1)));
        const string Subject = "agent:moving";
        async Task<(int Status, JsonElement Body)> Send(string key, DateTimeOffset at)
            => await client.PostAsync("/v1/events", new { idempotency_key = key, subject = Subject, event_type = "call", timestamp = Iso(at) });

        Assert.Equal("UNKNOWN_SUBJECT", (await Send("none", from.AddMinutes(10))).Body.Code());
        (int added, JsonElement held) = await client.PostAsync("/v1/subscriptions/sub_1/subjects", new { subject = Subject, from = Iso(from) });
        Assert.True(added == 200, held.ToString());
        Assert.Contains(held.GetProperty("data").EnumerateArray(), h => h.Str("subject") == Subject && h.GetProperty("to").ValueKind == JsonValueKind.Null);
        Assert.Equal("UNKNOWN_SUBJECT", (await Send("before", from.AddMinutes(-1))).Body.Code());
        Assert.Equal(201, (await Send("one-1", from.AddMinutes(10))).Status);

        // Removal before an accepted event of the subject is refused; at the hour it moves, it is taken.
        Assert.Equal("EVENTS_AFTER_END", (await client.PostAsync($"/v1/subscriptions/sub_1/subjects/{Uri.EscapeDataString(Subject)}/remove", new { at = Iso(from) })).Body.Code());
        Assert.Equal(200, (await client.PostAsync($"/v1/subscriptions/sub_1/subjects/{Uri.EscapeDataString(Subject)}/remove", new { at = Iso(moved) })).Status);
        Assert.Equal("UNKNOWN_SUBJECT", (await Send("gap", moved.AddMinutes(1))).Body.Code());

        // Another subscription may not take it over the time the first held it, and may from then on.
        (int taken, JsonElement conflict) = await client.PostAsync("/v1/subscriptions/sub_2/subjects", new { subject = Subject, from = Iso(moved.AddMinutes(-30)) });
        Assert.Equal(409, taken);
        Assert.Equal("ALREADY_EXISTS", conflict.Code());
        Assert.Equal(200, (await client.PostAsync("/v1/subscriptions/sub_2/subjects", new { subject = Subject, from = Iso(moved) })).Status);
        Assert.Equal(201, (await Send("two-1", moved.AddMinutes(1))).Status);
        Assert.Equal(201, (await Send("two-2", now)).Status);
        Assert.Equal(201, (await Send("one-late", moved.AddMinutes(-1))).Status);

        string range = $"from={Uri.EscapeDataString(Iso(now.AddDays(-1).AddTicks(-(now.Ticks % TimeSpan.TicksPerHour))))}&to={Uri.EscapeDataString(Iso(now.AddHours(2).AddTicks(-(now.Ticks % TimeSpan.TicksPerHour))))}";
        Assert.Equal("2", (await client.GetJsonAsync($"/v1/subscriptions/sub_1/usage?meter=calls&{range}")).Body.Str("value"));
        Assert.Equal("2", (await client.GetJsonAsync($"/v1/subscriptions/sub_2/usage?meter=calls&{range}")).Body.Str("value"));
        JsonElement audit = (await client.GetJsonAsync("/v1/audit-events?action=subscription.subject_removed")).Body.GetProperty("data")[0].GetProperty("details");
        Assert.Equal(JsonValueKind.Null, audit.GetProperty("before")[0].GetProperty("to").ValueKind);
        Assert.Equal(moved, DateTimeOffset.Parse(audit.GetProperty("after")[0].GetProperty("to").GetString()!));
        Assert.Equal(2, (await client.GetJsonAsync("/v1/audit-events?action=subscription.subject_added")).Body.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Subject_changes_of_unknown_subscriptions_and_subjects_are_refused()
    {
        using HttpClient client = await app.NewTenantAsync();
        await client.SetUpSubscriptionAsync("sub_1");
        Assert.Equal(404, (await client.PostAsync("/v1/subscriptions/nobody/subjects", new { subject = "x" })).Status);
        Assert.Equal(404, (await client.PostAsync("/v1/subscriptions/sub_1/subjects/never-held/remove", new { })).Status);
        Assert.Equal("INVALID_REQUEST", (await client.PostAsync("/v1/subscriptions/sub_1/subjects", new { from = "now" })).Body.Code());
        Assert.Equal(200, (await client.PostAsync("/v1/subscriptions/sub_1/cancel", new { at = "now" })).Status);
        Assert.Equal("SUBSCRIPTION_ENDED", (await client.PostAsync("/v1/subscriptions/sub_1/subjects", new { subject = "late-comer" })).Body.Code());
    }
}
