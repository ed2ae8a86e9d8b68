using System.CommandLine;

namespace Metering.Cli;

/// <summary>Options every command takes: where the server is and which key to use, each falling back to an environment
/// variable.</summary>
public sealed class GlobalOptions
{
    public const string UrlVariable = "METERING_URL";
    public const string KeyVariable = "METERING_API_KEY";
    public const string AdminKeyVariable = "METERING_ADMIN_KEY";

    public Option<string?> Url { get; } = new("--url") { Description = $"The server, e.g. http://localhost:8080 (else ${UrlVariable})", Recursive = true };

    public Option<string?> Key { get; } = new("--key") { Description = $"The API key (else ${KeyVariable}; admin commands: ${AdminKeyVariable})", Recursive = true };

    public Option<bool> Json { get; } = new("--json") { Description = "Print the server's JSON instead of a table", Recursive = true };

    public void AddTo(RootCommand root)
    {
        root.Options.Add(Url);
        root.Options.Add(Key);
        root.Options.Add(Json);
    }
}
