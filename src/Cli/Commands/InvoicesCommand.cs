using System.CommandLine;
using System.Text.Json;
using Metering.Cli.Api;
using Spectre.Console;

namespace Metering.Cli.Commands;

/// <summary><c>metering invoices list [--subscription S] [--status draft]</c>, <c>show ID</c> and <c>finalize ID</c>.</summary>
public static class InvoicesCommand
{
    public static Command Create(CommandContext c) => new("invoices", "List, show and finalize invoices") { List(c), Show(c), Finalize(c) };

    private static Command List(CommandContext c)
    {
        var subscription = new Option<string?>("--subscription") { Description = "Only this subscription's invoices" };
        var status = new Option<string?>("--status") { Description = "draft, finalized or voided" };
        var list = new Command("list", "List invoices, latest period first") { subscription, status };
        list.SetAction(async (parse, ct) =>
        {
            var query = new[] { ("subscription_id", parse.GetValue(subscription)), ("status", parse.GetValue(status)) }
                .Where(q => q.Item2 is not null).Select(q => $"{q.Item1}={Uri.EscapeDataString(q.Item2!)}");
            using ApiClient api = c.Client(parse);
            JsonElement body = (await api.GetAsync("/v1/invoices?" + string.Join('&', query), ct)).Expect();
            if (c.Json(parse))
            {
                await c.Cli.Out.WriteLineAsync(body.ToString());
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("id", "subscription", "period start", "period end", "status", "total");
            foreach (JsonElement i in body.GetProperty("data").EnumerateArray())
            {
                table.AddRow(S(i, "id"), Markup.Escape(S(i, "subscription_id")), S(i, "period_start"), S(i, "period_end"), S(i, "status"), $"{S(i, "total")} {S(i, "currency")}");
            }

            c.Cli.Console.Write(table);
            return ExitCodes.Ok;
        });
        return list;
    }

    private static Command Show(CommandContext c)
    {
        var id = new Argument<string>("id") { Description = "The invoice id" };
        var show = new Command("show", "Show an invoice with its lines") { id };
        show.SetAction(async (parse, ct) =>
        {
            using ApiClient api = c.Client(parse);
            return await PrintAsync(c, parse, (await api.GetAsync($"/v1/invoices/{Uri.EscapeDataString(parse.GetValue(id)!)}", ct)).Expect());
        });
        return show;
    }

    private static Command Finalize(CommandContext c)
    {
        var id = new Argument<string>("id") { Description = "The invoice id" };
        var finalize = new Command("finalize", "Finalize a draft invoice (its period then refuses late events)") { id };
        finalize.SetAction(async (parse, ct) =>
        {
            using ApiClient api = c.Client(parse);
            return await PrintAsync(c, parse, (await api.PostAsync($"/v1/invoices/{Uri.EscapeDataString(parse.GetValue(id)!)}/finalize", null, ct)).Expect());
        });
        return finalize;
    }

    private static async Task<int> PrintAsync(CommandContext c, ParseResult parse, JsonElement invoice)
    {
        if (c.Json(parse))
        {
            await c.Cli.Out.WriteLineAsync(invoice.ToString());
            return ExitCodes.Ok;
        }

        c.Cli.Console.WriteLine($"invoice {S(invoice, "id")} ({S(invoice, "status")}) of {S(invoice, "subscription_id")}, {S(invoice, "period_start")} to {S(invoice, "period_end")}");
        var lines = new Table().AddColumns("line", "model", "quantity", "amount");
        foreach (JsonElement line in invoice.GetProperty("line_items").EnumerateArray())
        {
            lines.AddRow(Markup.Escape(S(line, "description")), S(line, "model"), S(line, "quantity"), S(line, "amount"));
        }

        lines.AddRow("subtotal", "", "", S(invoice, "subtotal"));
        lines.AddRow($"tax ({S(invoice, "tax_rate")})", "", "", S(invoice, "tax"));
        lines.AddRow("total", "", "", $"{S(invoice, "total")} {S(invoice, "currency")}");
        c.Cli.Console.Write(lines);
        return ExitCodes.Ok;
    }

    private static string S(JsonElement e, string name)
        => e.TryGetProperty(name, out JsonElement v) ? (v.ValueKind == JsonValueKind.String ? v.GetString()! : v.ToString()) : "";
}
