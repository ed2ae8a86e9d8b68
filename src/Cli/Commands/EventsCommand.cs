using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Metering.Cli.Api;
using Metering.Cli.Events;
using Spectre.Console;

namespace Metering.Cli.Commands;

/// <summary><c>metering events send FILE</c>: NDJSON, a JSON array, CSV or OpenMeter CloudEvents, in batches, with a live
/// progress bar; resumable (see <see cref="SendJournal"/>), retrying with the same idempotency keys, ending with a summary.</summary>
public static class EventsCommand
{
    public static Command Create(CommandContext c)
    {
        var file = new Argument<string>("file") { Description = "The events: .ndjson/.jsonl (one per line), .json (an array), .csv, or CloudEvents" };
        var batchSize = new Option<int>("--batch-size") { Description = "Events per request (1-1000)", DefaultValueFactory = _ => 1000 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once", DefaultValueFactory = _ => 4 };
        var format = new Option<EventFormat>("--format") { Description = "auto, ndjson, json or csv", DefaultValueFactory = _ => EventFormat.Auto };
        var progressFile = new Option<string?>("--progress-file") { Description = "Where progress is kept for a resume (default FILE.metering-send)" };
        var restart = new Option<bool>("--restart") { Description = "Ignore the progress of earlier runs and send every event again (same keys)" };
        var send = new Command("send", "Send events from a file; run it again to send only what was not acknowledged") { file, batchSize, concurrency, format, progressFile, restart };
        batchSize.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 1000)
            {
                r.AddError("--batch-size must be between 1 and 1000.");
            }
        });
        concurrency.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 64)
            {
                r.AddError("--concurrency must be between 1 and 64.");
            }
        });
        send.SetAction(async (parse, ct) =>
        {
            string path = parse.GetValue(file)!;
            var options = new SendOptions(parse.GetValue(batchSize), parse.GetValue(concurrency), parse.GetValue(progressFile) ?? SendJournal.PathFor(path), parse.GetValue(restart));
            using ApiClient api = c.Client(parse);
            EventFile events = EventFile.Read(path, parse.GetValue(format));
            return await SendAsync(c, parse, api, events, options, ct);
        });
        return new Command("events", "Send usage events") { send };
    }

    private sealed record SendOptions(int BatchSize, int Concurrency, string ProgressFile, bool Restart);

    private sealed record Outcome(SendTally Earlier, SendTally ThisRun, long Sent, long Unsent, bool Interrupted);

    private static async Task<int> SendAsync(CommandContext c, ParseResult parse, ApiClient api, EventFile file, SendOptions options, CancellationToken ct)
    {
        using SendJournal journal = SendJournal.Open(options.ProgressFile, file.Digest, options.BatchSize, options.Restart);
        List<JsonObject[]> batches = [.. file.Events.Chunk(options.BatchSize)];
        int[] todo = [.. Enumerable.Range(0, batches.Count).Where(i => !journal.Done.ContainsKey(i))];
        SendTally earlier = journal.Done.Values.Aggregate(SendTally.Empty, (sum, t) => sum.Plus(t));
        long toSend = todo.Sum(i => (long)batches[i].Length);
        if (!c.Json(parse))
        {
            c.Cli.Console.WriteLine($"{file.Events.Count} events in {batches.Count} batches; {file.Events.Count - toSend} acknowledged by an earlier run; sending {toSend}.");
        }

        // With --json, stdout holds the summary only: no progress bar.
        Outcome outcome = c.Json(parse)
            ? await SendBatchesAsync(api, batches, todo, journal, options.Concurrency, _ => { }, ct)
            : await c.Cli.Console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new EventRateColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
                .StartAsync(async progress =>
                {
                    ProgressTask task = progress.AddTask("events", maxValue: Math.Max(toSend, 1));
                    Outcome result = await SendBatchesAsync(api, batches, todo, journal, options.Concurrency, n => task.Increment(n), ct);
                    task.StopTask();
                    return result;
                });
        outcome = outcome with { Earlier = earlier };

        Report(c, parse, outcome);
        SendTally all = outcome.Earlier.Plus(outcome.ThisRun);
        return outcome.Interrupted ? ExitCodes.Interrupted
            : outcome.Unsent > 0 && outcome.Sent == 0 ? ExitCodes.ServerError
            : outcome.Unsent > 0 || all.RejectedTotal > 0 ? ExitCodes.PartialFailure
            : ExitCodes.Ok;
    }

    private static async Task<Outcome> SendBatchesAsync(ApiClient api, List<JsonObject[]> batches, int[] todo, SendJournal journal, int concurrency, Action<long> advance, CancellationToken ct)
    {
        var sender = new BatchSender(api);
        var gate = new Lock();
        SendTally thisRun = SendTally.Empty;
        long sent = 0, unsent = 0;
        using var unavailable = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = unavailable.Token }, async (index, token) =>
            {
                SendTally? tally = await sender.SendAsync(batches[index], token);
                lock (gate)
                {
                    if (tally is null)
                    {
                        // The server stayed unavailable through every retry: stop starting batches; a later run resumes here.
                        unsent += batches[index].Length;
                        unavailable.Cancel();
                        return;
                    }

                    journal.Record(index, tally);
                    thisRun = thisRun.Plus(tally);
                    sent += batches[index].Length;
                }

                advance(batches[index].Length);
            });
        }
        catch (OperationCanceledException) when (unavailable.IsCancellationRequested)
        {
        }

        long notSent = todo.Sum(i => (long)batches[i].Length) - sent;
        return new Outcome(SendTally.Empty, thisRun, sent, notSent, ct.IsCancellationRequested);
    }

    private static void Report(CommandContext c, ParseResult parse, Outcome outcome)
    {
        SendTally all = outcome.Earlier.Plus(outcome.ThisRun);
        if (c.Json(parse))
        {
            c.Cli.Out.WriteLine(JsonSerializer.Serialize(new
            {
                stored = all.Stored,
                duplicates = all.Duplicates,
                rejected = all.Rejected,
                unsent = outcome.Unsent,
                sent_this_run = outcome.Sent,
                acknowledged_earlier = outcome.Earlier.Acknowledged,
                interrupted = outcome.Interrupted,
            }));
            return;
        }

        var table = new Table().AddColumns("", "events");
        table.AddRow("stored", all.Stored.ToString("N0"));
        table.AddRow("duplicates (stored before)", all.Duplicates.ToString("N0"));
        foreach ((string code, long n) in all.Rejected.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            table.AddRow(Markup.Escape($"rejected: {code}"), n.ToString("N0"));
        }

        table.AddRow("not sent", outcome.Unsent.ToString("N0"));
        c.Cli.Console.Write(table);
        c.Cli.Console.WriteLine($"This run sent {outcome.Sent:N0} events; {outcome.Earlier.Acknowledged:N0} were acknowledged by earlier runs.");
        if (outcome.Interrupted || outcome.Unsent > 0)
        {
            c.Cli.Console.WriteLine("Run the same command again to send the rest: only unacknowledged events are sent, with the same idempotency keys.");
        }
    }
}
