using System.CommandLine;
using System.Text.Json;
using Metering.Cli.Api;
using Spectre.Console;

namespace Metering.Cli.Commands;

/// <summary><c>metering billing-run start [--before TIME] [--wait]</c>: starts a billing run; with --wait, a progress bar
/// over the run until it completes.</summary>
public static class BillingRunCommand
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public static Command Create(CommandContext c)
    {
        var before = new Option<DateTimeOffset?>("--before") { Description = "Bill periods ended before this time (default: now)" };
        var wait = new Option<bool>("--wait") { Description = "Show the run's progress until it completes" };
        var start = new Command("start", "Start a billing run: a draft invoice for every ended period that has none") { before, wait };
        start.SetAction(async (parse, ct) =>
        {
            using ApiClient api = c.Client(parse);
            DateTimeOffset periodEndBefore = parse.GetValue(before) ?? DateTimeOffset.UtcNow;
            JsonElement started = (await api.PostAsync("/v1/billing-runs", new { period_end_before = periodEndBefore.ToUniversalTime().ToString("O") }, ct)).Expect();
            string id = started.GetProperty("id").GetString()!;
            if (!parse.GetValue(wait))
            {
                await c.Cli.Out.WriteLineAsync(c.Json(parse) ? started.ToString() : $"billing run {id} started");
                return ExitCodes.Ok;
            }

            JsonElement run = await WaitAsync(c, api, id, ct);
            if (c.Json(parse))
            {
                await c.Cli.Out.WriteLineAsync(run.ToString());
            }
            else
            {
                c.Cli.Console.WriteLine($"billing run {id} {run.GetProperty("status").GetString()}: {run.GetProperty("created").GetInt32()} invoices created, {run.GetProperty("done").GetInt32()} of {run.GetProperty("total").GetInt32()} periods done, {run.GetProperty("failed").GetInt32()} failed");
            }

            return run.GetProperty("failed").GetInt32() > 0 ? ExitCodes.PartialFailure : ExitCodes.Ok;
        });
        return new Command("billing-run", "Billing runs") { start };
    }

    private static Task<JsonElement> WaitAsync(CommandContext c, ApiClient api, string id, CancellationToken ct)
        => c.Cli.Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
            .StartAsync(async progress =>
            {
                ProgressTask task = progress.AddTask("billing run", maxValue: 1);
                while (true)
                {
                    JsonElement run = (await api.GetAsync($"/v1/billing-runs/{id}", ct)).Expect();
                    int total = run.GetProperty("total").GetInt32();
                    task.MaxValue = Math.Max(total, 1);
                    task.Value = run.GetProperty("done").GetInt32() + run.GetProperty("failed").GetInt32();
                    if (run.GetProperty("status").GetString() != "running")
                    {
                        task.Value = task.MaxValue;
                        task.StopTask();
                        return run;
                    }

                    await Task.Delay(PollInterval, ct);
                }
            });
}
