using Spectre.Console;

namespace Metering.Cli;

/// <summary>Where a run of the CLI writes and what it reads from its environment: the process's own console and variables,
/// or a test's writers and variables.</summary>
public sealed record CliContext(IAnsiConsole Console, TextWriter Out, TextWriter Error, Func<string, string?> Environment)
{
    public static CliContext FromProcess()
        => new(AnsiConsole.Console, System.Console.Out, System.Console.Error, System.Environment.GetEnvironmentVariable);

    /// <summary>A context writing plain text (no colours, no live rendering) to <paramref name="out"/>.</summary>
    public static CliContext Plain(TextWriter @out, TextWriter error, IReadOnlyDictionary<string, string> environment)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(@out),
        });
        console.Profile.Width = 200;
        return new CliContext(console, @out, error, name => environment.GetValueOrDefault(name));
    }
}
