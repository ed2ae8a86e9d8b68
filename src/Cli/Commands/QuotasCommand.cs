using System.CommandLine;
using System.Text.Json;
using Metering.Cli.Api;
using Spectre.Console;

namespace Metering.Cli.Commands;

/// <summary><c>metering quotas check --subject S --meter M [--amount N]</c> (consumes nothing) and
/// <c>metering quotas set SUBSCRIPTION METER --limit L --period P [--overflow block|allow_overage]</c>.</summary>
public static class QuotasCommand
{
    public static Command Create(CommandContext c) => new("quotas", "Check and set quotas") { Check(c), Set(c) };

    private static Command Check(CommandContext c)
    {
        var subject = new Option<string>("--subject") { Description = "The subject (e.g. agent:...)", Required = true };
        var meter = new Option<string>("--meter") { Description = "The meter code", Required = true };
        var amount = new Option<decimal>("--amount") { Description = "The amount asked for", DefaultValueFactory = _ => 1m };
        var check = new Command("check", "May the subject use this amount? Consumes nothing") { subject, meter, amount };
        check.SetAction(async (parse, ct) =>
        {
            using ApiClient api = c.Client(parse);
            string path = $"/v1/quotas/check?subject={Uri.EscapeDataString(parse.GetValue(subject)!)}&meter={Uri.EscapeDataString(parse.GetValue(meter)!)}&amount={parse.GetValue(amount).ToString(System.Globalization.CultureInfo.InvariantCulture)}";
            return await PrintAsync(c, parse, (await api.GetAsync(path, ct)).Expect());
        });
        return check;
    }

    private static Command Set(CommandContext c)
    {
        var subscription = new Argument<string>("subscription") { Description = "The subscription id" };
        var meter = new Argument<string>("meter") { Description = "The meter code" };
        var limit = new Option<decimal>("--limit") { Description = "The limit per period (or the credits, with period none)", Required = true };
        var period = new Option<string>("--period") { Description = "minute, hour, day, month, billing_period or none", Required = true };
        period.AcceptOnlyFromAmong("minute", "hour", "day", "month", "billing_period", "none");
        var overflow = new Option<string>("--overflow") { Description = "block or allow_overage", DefaultValueFactory = _ => "block" };
        overflow.AcceptOnlyFromAmong("block", "allow_overage");
        var set = new Command("set", "Create or replace a quota") { subscription, meter, limit, period, overflow };
        set.SetAction(async (parse, ct) =>
        {
            using ApiClient api = c.Client(parse);
            string path = $"/v1/subscriptions/{Uri.EscapeDataString(parse.GetValue(subscription)!)}/quotas/{Uri.EscapeDataString(parse.GetValue(meter)!)}";
            var body = new { limit = parse.GetValue(limit).ToString(System.Globalization.CultureInfo.InvariantCulture), period = parse.GetValue(period), overflow = parse.GetValue(overflow) };
            return await PrintAsync(c, parse, (await api.PutAsync(path, body, ct)).Expect());
        });
        return set;
    }

    private static async Task<int> PrintAsync(CommandContext c, ParseResult parse, JsonElement body)
    {
        if (c.Json(parse))
        {
            await c.Cli.Out.WriteLineAsync(body.ToString());
            return ExitCodes.Ok;
        }

        var table = new Table().AddColumns("field", "value");
        foreach (JsonProperty p in body.EnumerateObject().Where(p => p.Value.ValueKind is not JsonValueKind.Null and not JsonValueKind.Object))
        {
            table.AddRow(Markup.Escape(p.Name), Markup.Escape(p.Value.ToString()));
        }

        c.Cli.Console.Write(table);
        return ExitCodes.Ok;
    }
}
