using System.CommandLine;
using Metering.Cli.Commands;

namespace Metering.Cli;

/// <summary>The <c>metering</c> command: one command group per file under Commands/, registered here.</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken)
    {
        var options = new GlobalOptions();
        var root = new RootCommand("Metering: send events, read usage, manage quotas, invoices and billing runs, watch the cluster.");
        options.AddTo(root);
        var commands = new CommandContext(context, options);
        foreach (Command command in Groups(commands))
        {
            root.Subcommands.Add(command);
        }

        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (System.CommandLine.Parsing.ParseError error in parse.Errors)
            {
                await context.Error.WriteLineAsync(error.Message);
            }

            await context.Error.WriteLineAsync("Run 'metering --help' for usage.");
            return ExitCodes.Usage;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (CliFailure failure)
        {
            await context.Error.WriteLineAsync(failure.Message);
            return failure.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await context.Error.WriteLineAsync("Interrupted.");
            return ExitCodes.Interrupted;
        }
    }

    /// <summary>Every command group; a new group is one file in Commands/ and one line here.</summary>
    private static IEnumerable<Command> Groups(CommandContext c) =>
    [
        ClusterCommand.Create(c),
        TenantsCommand.Create(c),
        WebhooksCommand.Create(c),
        EventsCommand.Create(c),
        UsageCommand.Create(c),
        QuotasCommand.Create(c),
        InvoicesCommand.Create(c),
        BillingRunCommand.Create(c),
    ];
}
