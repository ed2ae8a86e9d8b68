using Metering.Cli;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>Runs the <c>metering</c> command in-process against a live server, with its own environment variables, and
/// collects what it printed and its exit code.</summary>
public static class CliRunner
{
    public sealed record CliResult(int ExitCode, string Out, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- out\n{Out}\n--- err\n{Error}";
    }

    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken, params string[] args)
    {
        var @out = new StringWriter();
        var error = new StringWriter();
        int exit = await CliApp.RunAsync(args, CliContext.Plain(@out, error, environment), cancellationToken);
        return new CliResult(exit, @out.ToString(), error.ToString());
    }

    public static Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
        => RunAsync(environment, CancellationToken.None, args);
}
