using System.CommandLine;
using System.Text.Json;
using Metering.Cli.Api;
using Spectre.Console;

namespace Metering.Cli.Commands;

/// <summary><c>metering cluster</c>: the silos of the cluster with their status, partitions, activations and heartbeat age.</summary>
public static class ClusterCommand
{
    public static Command Create(CommandContext c)
    {
        var command = new Command("cluster", "Show the silos of the cluster");
        command.SetAction(async (parse, ct) =>
        {
            using ApiClient api = c.Client(parse);
            JsonElement body = (await api.GetAsync("/v1/cluster", ct)).Expect();
            if (c.Json(parse))
            {
                await c.Cli.Out.WriteLineAsync(body.ToString());
                return ExitCodes.Ok;
            }

            c.Cli.Console.Write(SilosTable(body, DateTimeOffset.UtcNow));
            c.Cli.Console.WriteLine($"{body.GetProperty("partitions").GetInt32()} partitions");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Table SilosTable(JsonElement cluster, DateTimeOffset now)
    {
        var table = new Table().AddColumns("silo", "address", "status", "partitions", "activations", "heartbeat age");
        foreach (JsonElement silo in cluster.GetProperty("silos").EnumerateArray())
        {
            string status = silo.GetProperty("status").GetString()!;
            if (silo.TryGetProperty("suspected", out JsonElement suspected) && suspected.ValueKind == JsonValueKind.True)
            {
                status += " (suspected)";
            }

            TimeSpan age = now - silo.GetProperty("last_heartbeat").GetDateTimeOffset();
            table.AddRow(
                Markup.Escape(silo.GetProperty("id").ToString()),
                Markup.Escape(silo.GetProperty("address").GetString() ?? ""),
                Markup.Escape(status),
                silo.GetProperty("partitions").ToString(),
                silo.GetProperty("activations").ToString(),
                $"{Math.Max(age.TotalSeconds, 0):0.0} s");
        }

        return table;
    }
}
