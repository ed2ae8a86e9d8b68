namespace Metering.Cli;

/// <summary>A command stops with this exit code and one line saying why.</summary>
public sealed class CliFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
