using System.Globalization;
using System.Text.Json;
using Metering.Grains.Catalog;
using Metering.IntegrationTests.Infrastructure;
using Metering.Silo.Catalog;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.IntegrationTests.Catalog;

/// <summary>Plans are versioned: an edit of a plan that subscriptions are on makes a new version, they stay on theirs, new ones
/// take the latest, and <c>POST /v1/plans/{code}/migrate</c> moves them at their period end.</summary>
[Collection(AppCollection.Name)]
public sealed class PlanVersionsTests(AppFixture app)
{
    // Weekly subscriptions started ten days ago: one period ended, the current one ends in four days.
    private static readonly DateTimeOffset s_start = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero).AddDays(-10);

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);

    private static decimal Money(JsonElement e, string name) => decimal.Parse(e.Str(name), CultureInfo.InvariantCulture);

    private static async Task SubscribeAsync(HttpClient client, string id, DateTimeOffset? start = null)
    {
        (int status, JsonElement body) = await client.PostAsync("/v1/subscriptions",
            new { id, customer_id = "cust_1", plan = "team", started_at = Iso(start ?? s_start), subjects = new[] { $"{id}:{Guid.NewGuid():N}" } });
        Assert.True(status == 201, body.ToString());
    }

    /// <summary>The subtotal of the subscription's invoice of the period starting at <paramref name="periodStart"/>, made now or before.</summary>
    private static async Task<decimal> InvoicedAsync(HttpClient client, string subscription, DateTimeOffset periodStart)
    {
        (int status, JsonElement invoice) = await client.PostAsync("/v1/invoices", new { subscription_id = subscription, period_start = Iso(periodStart) });
        if (status == 409)
        {
            (status, invoice) = await client.GetJsonAsync($"/v1/invoices/{invoice.GetProperty("invoice_id").GetString()}");
        }

        Assert.True(status is 200 or 201, $"{subscription} {periodStart}: {status} {invoice}");
        return Money(invoice, "subtotal");
    }

    [Fact]
    public async Task An_edit_of_a_plan_in_use_makes_a_version_that_existing_subscriptions_reach_by_migration_at_their_period_end()
    {
        using HttpClient client = await app.NewTenantAsync();
        Assert.Equal(201, (await client.PostAsync("/v1/customers", new { id = "cust_1", currency = "USD" })).Status);
        foreach (string code in new[] { "team", "other" })
        {
            Assert.Equal(201, (await client.PostAsync("/v1/plans", new { code, currency = "USD", interval = "week", fixed_fee = "70" })).Status);
        }

        foreach (string id in new[] { "sub_a", "sub_c", "sub_d" })
        {
            await SubscribeAsync(client, id);
        }

        (int edited, JsonElement plan, _) = await client.SendJsonAsync(HttpMethod.Patch, "/v1/plans/team", new { fixed_fee = "140" });
        Assert.True(edited == 200, plan.ToString());
        Assert.Equal(2, plan.GetProperty("version").GetInt32());
        Assert.Equal(140m, Money(plan, "fixed_fee"));
        Assert.Equal(2, (await client.GetJsonAsync("/v1/plans/team")).Body.GetProperty("version").GetInt32());
        JsonElement[] versions = [.. (await client.GetJsonAsync("/v1/plans/team/versions")).Body.GetProperty("data").EnumerateArray()];
        Assert.Equal([1, 2], versions.Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal([70m, 140m], versions.Select(v => Money(v, "fixed_fee")));
        Assert.Equal([2], (await client.GetJsonAsync("/v1/plans/team/versions?starting_after=0000000001")).Body.GetProperty("data").EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));

        // Existing subscriptions stay on version 1; a new one takes version 2.
        Assert.Equal(1, (await client.GetJsonAsync("/v1/subscriptions/sub_a")).Body.GetProperty("plan_version").GetInt32());
        await SubscribeAsync(client, "sub_b", s_start.AddDays(7));
        Assert.Equal(2, (await client.GetJsonAsync("/v1/subscriptions/sub_b")).Body.GetProperty("plan_version").GetInt32());
        Assert.Equal(70m, await InvoicedAsync(client, "sub_a", s_start));
        Assert.Equal(70m, await InvoicedAsync(client, "sub_a", s_start.AddDays(7)));
        Assert.Equal(140m, await InvoicedAsync(client, "sub_b", s_start.AddDays(7)));

        // sub_c moves to another plan and sub_d ends at the period end: a migration leaves them alone.
        Assert.Equal(200, (await client.PostAsync("/v1/subscriptions/sub_c/change-plan", new { plan = "other", at = "period_end" })).Status);
        Assert.Equal(200, (await client.PostAsync("/v1/subscriptions/sub_d/cancel", new { at = "period_end" })).Status);
        (int status, JsonElement migration) = await client.PostAsync("/v1/plans/team/migrate", new { });
        Assert.True(status == 200, migration.ToString());
        Assert.Equal(2, migration.GetProperty("plan").GetProperty("version").GetInt32());
        JsonElement migrated = Assert.Single(migration.GetProperty("migrated").EnumerateArray());
        Assert.Equal("sub_a", migrated.Str("subscription_id"));
        Assert.Equal(1, migrated.GetProperty("from_version").GetInt32());
        Assert.Equal(2, migrated.GetProperty("to_version").GetInt32());
        Assert.Equal(s_start.AddDays(14), DateTimeOffset.Parse(migrated.Str("at"), CultureInfo.InvariantCulture));

        // The current period stays on version 1; from its end sub_a is on version 2. A second migration has nothing to do.
        JsonElement subA = (await client.GetJsonAsync("/v1/subscriptions/sub_a")).Body;
        Assert.Equal(1, subA.GetProperty("plan_version").GetInt32());
        JsonElement change = Assert.Single(subA.GetProperty("plan_changes").EnumerateArray());
        Assert.Equal(("team", 2), (change.Str("plan"), change.GetProperty("version").GetInt32()));
        Assert.Equal(70m, await InvoicedAsync(client, "sub_a", s_start.AddDays(7)));
        Assert.Empty((await client.PostAsync("/v1/plans/team/migrate", new { })).Body.GetProperty("migrated").EnumerateArray());
        Assert.Equal("other", Assert.Single((await client.GetJsonAsync("/v1/subscriptions/sub_c")).Body.GetProperty("plan_changes").EnumerateArray()).Str("plan"));

        // Moving sub_a to the latest version from the current period's start prices that period's draft again, on version 2.
        (int changed, JsonElement moved) = await client.PostAsync("/v1/subscriptions/sub_a/change-plan", new { plan = "team", at = Iso(s_start.AddDays(7)) });
        Assert.True(changed == 200, moved.ToString());
        Assert.Equal(2, moved.GetProperty("plan_version").GetInt32());
        Assert.Equal(140m, await InvoicedAsync(client, "sub_a", s_start.AddDays(7)));
        Assert.Equal(70m, await InvoicedAsync(client, "sub_a", s_start));
        Assert.Equal(400, (await client.PostAsync("/v1/subscriptions/sub_a/change-plan", new { plan = "team", at = Iso(s_start.AddDays(8)) })).Status);

        // Audited with before and after.
        JsonElement update = Assert.Single((await client.GetJsonAsync("/v1/audit-events?action=plan.updated")).Body.GetProperty("data").EnumerateArray()).GetProperty("details");
        Assert.Equal((1, 70m), (update.GetProperty("before").GetProperty("version").GetInt32(), Money(update.GetProperty("before"), "fixed_fee")));
        Assert.Equal((2, 140m), (update.GetProperty("after").GetProperty("version").GetInt32(), Money(update.GetProperty("after"), "fixed_fee")));
        JsonElement[] migrations = [.. (await client.GetJsonAsync("/v1/audit-events?action=plan.migrated")).Body.GetProperty("data").EnumerateArray()];
        Assert.Equal(2, migrations.Length);
        Assert.Contains(migrations, m => m.GetProperty("details").GetProperty("before").EnumerateArray().Any(b => b.Str("subscription_id") == "sub_a"));
    }

    [Fact]
    public async Task A_plan_no_subscription_is_on_is_edited_in_place_and_its_currency_and_interval_never_change()
    {
        using HttpClient client = await app.NewTenantAsync();
        Assert.Equal(201, (await client.PostAsync("/v1/plans", new { code = "solo", currency = "USD", interval = "month", fixed_fee = "5" })).Status);
        (int status, JsonElement plan, _) = await client.SendJsonAsync(HttpMethod.Patch, "/v1/plans/solo", new { fixed_fee = "7.5", proration = "daily" });
        Assert.True(status == 200, plan.ToString());
        Assert.Equal((1, 7.5m, "daily"), (plan.GetProperty("version").GetInt32(), Money(plan, "fixed_fee"), plan.Str("proration")));
        JsonElement version = Assert.Single((await client.GetJsonAsync("/v1/plans/solo/versions")).Body.GetProperty("data").EnumerateArray());
        Assert.Equal(7.5m, Money(version, "fixed_fee"));

        foreach (object body in new object[] { new { currency = "EUR" }, new { interval = "day" }, new { proration = "weekly" }, new { fixed_fee = "-1" } })
        {
            (int refused, JsonElement problem, _) = await client.SendJsonAsync(HttpMethod.Patch, "/v1/plans/solo", body);
            Assert.True(refused == 400, $"{JsonSerializer.Serialize(body)}: {refused} {problem}");
            Assert.Equal("INVALID_REQUEST", problem.Code());
        }

        Assert.Equal(("USD", "month", 7.5m), ((await client.GetJsonAsync("/v1/plans/solo")).Body.Str("currency"), (await client.GetJsonAsync("/v1/plans/solo")).Body.Str("interval"),
            Money((await client.GetJsonAsync("/v1/plans/solo")).Body, "fixed_fee")));
        Assert.Equal(404, (await client.SendJsonAsync(HttpMethod.Patch, "/v1/plans/nope", new { fixed_fee = "1" })).Status);
        Assert.Equal(404, (await client.PostAsync("/v1/plans/nope/migrate", new { })).Status);
        Assert.Equal(404, (await client.GetJsonAsync("/v1/plans/nope/versions")).Status);
        Assert.Empty((await client.PostAsync("/v1/plans/solo/migrate", new { })).Body.GetProperty("migrated").EnumerateArray());
    }

    [Fact]
    public async Task A_migration_that_read_a_subscription_before_it_changed_plan_moves_nothing()
    {
        (string tenant, _, HttpClient client) = await app.NewTenantWithKeyAsync();
        Assert.Equal(201, (await client.PostAsync("/v1/customers", new { id = "cust_1", currency = "USD" })).Status);
        foreach (string code in new[] { "team", "other" })
        {
            Assert.Equal(201, (await client.PostAsync("/v1/plans", new { code, currency = "USD", interval = "week", fixed_fee = "70" })).Status);
        }

        await SubscribeAsync(client, "sub_a");
        Assert.Equal(2, (await client.SendJsonAsync(HttpMethod.Patch, "/v1/plans/team", new { fixed_fee = "140" })).Body.GetProperty("version").GetInt32());

        // The race forced: the migration read sub_a on team version 1; then sub_a's owner moved it to another plan at the same
        // instant; then the migration writes. Under the subscription's lock it finds another plan in force, and moves nothing.
        DateTimeOffset periodEnd = s_start.AddDays(14);
        Assert.Equal(200, (await client.PostAsync("/v1/subscriptions/sub_a/change-plan", new { plan = "other", at = "period_end" })).Status);
        var store = app.Services.GetRequiredService<SubscriptionLifecycleStore>();
        (PlanChangeStatus status, _) = await store.ChangePlanAsync(tenant, "sub_a", new PlanRef("team", 2), periodEnd, DateTimeOffset.UtcNow, new PlanRef("team", 1));
        Assert.Equal(PlanChangeStatus.Superseded, status);
        JsonElement change = Assert.Single((await client.GetJsonAsync("/v1/subscriptions/sub_a")).Body.GetProperty("plan_changes").EnumerateArray());
        Assert.Equal("other", change.Str("plan"));

        // A change scheduled after the migration's instant is not replaced either.
        Assert.Equal(200, (await client.PostAsync("/v1/subscriptions/sub_a/change-plan", new { plan = "team", at = Iso(periodEnd.AddDays(7)) })).Status);
        (status, _) = await store.ChangePlanAsync(tenant, "sub_a", new PlanRef("team", 2), periodEnd.AddDays(-7), DateTimeOffset.UtcNow, new PlanRef("team", 1));
        Assert.Equal(PlanChangeStatus.Superseded, status);
        Assert.Equal(["other", "team"], (await client.GetJsonAsync("/v1/subscriptions/sub_a")).Body.GetProperty("plan_changes").EnumerateArray().Select(c => c.Str("plan")));
    }
}
