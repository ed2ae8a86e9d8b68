using System.CommandLine;
using Metering.Cli.Api;

namespace Metering.Cli;

/// <summary>What a command's action needs: the context of the run, the global options, and an API client built from them.</summary>
public sealed class CommandContext(CliContext context, GlobalOptions options)
{
    public CliContext Cli { get; } = context;

    public GlobalOptions Options { get; } = options;

    /// <summary>A client for the tenant API (<c>--key</c> or METERING_API_KEY).</summary>
    public ApiClient Client(ParseResult parse) => Build(parse, GlobalOptions.KeyVariable);

    /// <summary>A client for the admin API (<c>--key</c> or METERING_ADMIN_KEY).</summary>
    public ApiClient AdminClient(ParseResult parse) => Build(parse, GlobalOptions.AdminKeyVariable);

    public bool Json(ParseResult parse) => parse.GetValue(Options.Json);

    private ApiClient Build(ParseResult parse, string keyVariable)
    {
        string url = parse.GetValue(Options.Url) ?? Cli.Environment(GlobalOptions.UrlVariable)
            ?? throw new CliFailure(ExitCodes.Usage, $"No server: pass --url or set {GlobalOptions.UrlVariable}.");
        string key = parse.GetValue(Options.Key) ?? Cli.Environment(keyVariable)
            ?? throw new CliFailure(ExitCodes.Usage, $"No API key: pass --key or set {keyVariable}.");
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliFailure(ExitCodes.Usage, $"--url '{url}' is not an http(s) URL.");
        }

        return new ApiClient(uri, key);
    }
}
