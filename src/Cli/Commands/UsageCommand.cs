using System.CommandLine;
using System.Text.Json;
using Metering.Cli.Api;
using Spectre.Console;

namespace Metering.Cli.Commands;

/// <summary><c>metering usage SUBSCRIPTION --meter m [--window hour] [--group-by model]</c>: a table of usage per window (and
/// per group), or the server's JSON.</summary>
public static class UsageCommand
{
    public static Command Create(CommandContext c)
    {
        var subscription = new Argument<string>("subscription") { Description = "The subscription id" };
        var meter = new Option<string>("--meter") { Description = "The meter code", Required = true };
        var window = new Option<string>("--window") { Description = "hour, day or none", DefaultValueFactory = _ => "none" };
        window.AcceptOnlyFromAmong("hour", "day", "none");
        var groupBy = new Option<string[]>("--group-by") { Description = "Dimensions of the meter to group by", AllowMultipleArgumentsPerToken = true };
        var from = new Option<string?>("--from") { Description = "Start, a whole UTC hour (default: the current period)" };
        var to = new Option<string?>("--to") { Description = "End, a whole UTC hour (default: the current period)" };
        var command = new Command("usage", "Usage of a subscription's meter") { subscription, meter, window, groupBy, from, to };
        command.SetAction(async (parse, ct) =>
        {
            var query = new List<string> { "meter=" + Uri.EscapeDataString(parse.GetValue(meter)!), "window=" + parse.GetValue(window) };
            query.AddRange((parse.GetValue(groupBy) ?? []).Select(g => "group_by=" + Uri.EscapeDataString(g)));
            query.AddRange(new[] { ("from", parse.GetValue(from)), ("to", parse.GetValue(to)) }.Where(p => p.Item2 is not null).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
            using ApiClient api = c.Client(parse);
            JsonElement body = (await api.GetAsync($"/v1/subscriptions/{Uri.EscapeDataString(parse.GetValue(subscription)!)}/usage?{string.Join('&', query)}", ct)).Expect();
            if (c.Json(parse))
            {
                await c.Cli.Out.WriteLineAsync(body.ToString());
                return ExitCodes.Ok;
            }

            c.Cli.Console.Write(Table(body));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Table Table(JsonElement usage)
    {
        var table = new Table().AddColumns("window start", "window end", "group", "value", "events");
        foreach (JsonElement w in usage.GetProperty("windows").EnumerateArray())
        {
            table.AddRow(w.GetProperty("start").GetString()!, w.GetProperty("end").GetString()!, "", Value(w), w.GetProperty("events").ToString());
            foreach ((string group, string value) in Groups(w))
            {
                table.AddRow("", "", Markup.Escape(group), Markup.Escape(value), "");
            }
        }

        table.AddRow($"total {usage.GetProperty("from").GetString()}", usage.GetProperty("to").GetString()!, "", Value(usage), usage.GetProperty("events").ToString());
        foreach ((string group, string value) in Groups(usage))
        {
            table.AddRow("", "", Markup.Escape(group), Markup.Escape(value), "");
        }

        table.Caption($"{usage.GetProperty("meter").GetString()} ({usage.GetProperty("aggregation").GetString()})");
        return table;
    }

    private static string Value(JsonElement e) => e.TryGetProperty("value", out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "-";

    private static IEnumerable<(string Group, string Value)> Groups(JsonElement e)
    {
        if (!e.TryGetProperty("groups", out JsonElement groups) || groups.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }

        foreach (JsonProperty dimension in groups.EnumerateObject())
        {
            foreach (JsonProperty value in dimension.Value.EnumerateObject())
            {
                yield return ($"{dimension.Name}={value.Name}", value.Value.ValueKind == JsonValueKind.String ? value.Value.GetString()! : "-");
            }
        }
    }
}
