using System.Reflection;
using Metering.Gateway.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Dashboard;

/// <summary>The dashboard's page, script and style, embedded in the gateway (no build step, nothing fetched from elsewhere).
/// They hold no data: the page asks for a key in a form and reads the API with it.</summary>
public static class DashboardAssets
{
    private static readonly Dictionary<string, (byte[] Bytes, string ContentType)> s_files = Load();

    /// <summary>The policy sent with every asset: scripts, styles and requests from this origin only, no framing.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static IResult Serve(string file)
    {
        if (!s_files.TryGetValue(file, out (byte[] Bytes, string ContentType) asset))
        {
            return ApiError.NotFound($"Dashboard file '{file}'").ToResult();
        }

        return new AssetResult(TypedResults.Bytes(asset.Bytes, asset.ContentType));
    }

    private static Dictionary<string, (byte[], string)> Load()
    {
        Assembly assembly = typeof(DashboardAssets).Assembly;
        const string prefix = "Metering.Gateway.Dashboard.wwwroot.";
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using Stream stream = assembly.GetManifestResourceStream(name)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            string file = name[prefix.Length..];
            string type = Path.GetExtension(file) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                _ => "application/octet-stream",
            };
            files[file] = (memory.ToArray(), type);
        }

        return files;
    }

    /// <summary>An asset with the headers that keep the page from being framed, cached or leaking its address.</summary>
    private sealed class AssetResult(FileContentHttpResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            IHeaderDictionary headers = httpContext.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            return inner.ExecuteAsync(httpContext);
        }
    }
}
