using System.CommandLine;
using System.Text.Json;
using Metering.Cli.Api;
using Spectre.Console;

namespace Metering.Cli.Commands;

/// <summary><c>metering webhooks dlq list|show|retry</c>: the dead-letter queue of webhook deliveries (those that exhausted
/// their retries), one delivery with every attempt, and a retry (the delivery is queued again with a fresh schedule).</summary>
public static class WebhooksCommand
{
    public static Command Create(CommandContext c)
    {
        var dlq = new Command("dlq", "The dead-letter queue: deliveries that exhausted their retries") { List(c), Show(c), Retry(c) };
        return new Command("webhooks", "Webhook deliveries") { dlq };
    }

    private static Command List(CommandContext c)
    {
        var endpoint = new Option<string?>("--endpoint") { Description = "Only this endpoint's deliveries" };
        var limit = new Option<int>("--limit") { Description = "At most this many (1-500)", DefaultValueFactory = _ => 100 };
        var command = new Command("list", "List failed deliveries, newest first") { endpoint, limit };
        command.SetAction(async (parse, ct) =>
        {
            using ApiClient api = c.Client(parse);
            string query = $"?status=failed&limit={parse.GetValue(limit)}" + (parse.GetValue(endpoint) is { } id ? "&endpoint_id=" + Uri.EscapeDataString(id) : "");
            JsonElement body = (await api.GetAsync("/v1/webhook-deliveries" + query, ct)).Expect();
            if (c.Json(parse))
            {
                await c.Cli.Out.WriteLineAsync(body.ToString());
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("delivery", "endpoint", "event", "type", "attempts", "last error");
            foreach (JsonElement d in body.GetProperty("data").EnumerateArray())
            {
                JsonElement[] attempts = [.. d.GetProperty("attempts").EnumerateArray()];
                string last = attempts.Length == 0 ? "" : attempts[^1].GetProperty("error").GetString() ?? "";
                table.AddRow(Text(d, "id"), Text(d, "endpoint_id"), Text(d, "event_id"), Text(d, "type"), attempts.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(last));
            }

            c.Cli.Console.Write(table);
            c.Cli.Console.WriteLine($"{body.GetProperty("data").GetArrayLength()} failed deliveries");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(CommandContext c)
    {
        var id = new Argument<string>("id") { Description = "The delivery's id" };
        var command = new Command("show", "Show a delivery: its attempts and the payload it sends") { id };
        command.SetAction(async (parse, ct) =>
        {
            using ApiClient api = c.Client(parse);
            JsonElement d = (await api.GetAsync("/v1/webhook-deliveries/" + Uri.EscapeDataString(parse.GetValue(id)!), ct)).Expect();
            if (c.Json(parse))
            {
                await c.Cli.Out.WriteLineAsync(d.ToString());
                return ExitCodes.Ok;
            }

            c.Cli.Console.WriteLine($"delivery {d.GetProperty("id")} of {d.GetProperty("event_id")} ({d.GetProperty("type")}) to endpoint {d.GetProperty("endpoint_id")}: {d.GetProperty("status")}");
            var table = new Table().AddColumns("#", "at", "status", "latency ms", "error");
            foreach (JsonElement a in d.GetProperty("attempts").EnumerateArray())
            {
                table.AddRow(a.GetProperty("number").ToString(), Text(a, "at"), a.GetProperty("status_code").ToString(), a.GetProperty("latency_ms").ToString(), Text(a, "error"));
            }

            c.Cli.Console.Write(table);
            await c.Cli.Out.WriteLineAsync(d.GetProperty("payload").ToString());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Retry(CommandContext c)
    {
        var id = new Argument<string>("id") { Description = "The delivery's id" };
        var command = new Command("retry", "Send a failed delivery again (queued with a fresh schedule of attempts)") { id };
        command.SetAction(async (parse, ct) =>
        {
            using ApiClient api = c.Client(parse);
            // Safe to repeat: a retry of a delivery already pending changes nothing.
            JsonElement d = (await api.PostAsync($"/v1/webhook-deliveries/{Uri.EscapeDataString(parse.GetValue(id)!)}/retry", null, ct, retry: true)).Expect();
            await c.Cli.Out.WriteLineAsync(c.Json(parse) ? d.ToString() : $"delivery {d.GetProperty("id")} is {d.GetProperty("status")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Text(JsonElement element, string name)
        => element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? Markup.Escape(value.GetString()!) : "";
}
