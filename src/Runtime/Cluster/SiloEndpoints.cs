using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Metering.Runtime;

/// <summary>The endpoints silos (and cluster clients) call on each other, under <c>/internal</c>, authenticated by the cluster
/// token: grain calls for the partitions this silo owns, and the directory.</summary>
public static class SiloEndpoints
{
    /// <summary>The path of the directory endpoint.</summary>
    public const string DirectoryPath = "/internal/directory";

    /// <summary>Maps the internal endpoints.</summary>
    public static IEndpointRouteBuilder MapSiloEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(RemoteGrainInvoker.CallPath + "/{grainInterface}/{method}", CallAsync).ExcludeFromDescription();
        app.MapGet(DirectoryPath, Directory).ExcludeFromDescription();
        return app;
    }

    /// <summary>Runs a grain call here, never forwarding it: 421 when this silo does not own the partition (the caller
    /// refreshes its directory and tries the owner), 500 with the exception when the grain threw.</summary>
    private static async Task CallAsync(HttpContext http, string grainInterface, string method)
    {
        if (!Authenticated(http))
        {
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        var catalog = http.RequestServices.GetRequiredService<Catalog>();
        Type? type = catalog.Types.InterfaceNamed(Uri.UnescapeDataString(grainInterface));
        MethodDescriptor? descriptor = type is null ? null : MethodDescriptor.Find(type, method);
        if (type is null || descriptor is null)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        string key;
        object?[] args;
        try
        {
            using JsonDocument call = await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted).ConfigureAwait(false);
            (key, args) = GrainCallCodec.DecodeCall(call.RootElement, descriptor);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or NotSupportedException)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var id = new GrainId(type, key);
        var reference = new GrainReference(id, catalog.Partitions.PartitionOf(id.PartitionKey), localOnly: true);
        byte[] body;
        try
        {
            // A local-only reference: the catalog runs it here or throws NotOwnerException, never forwards it.
            object? result = await descriptor.InvokeBoxedAsync(catalog, reference, args).ConfigureAwait(false);
            body = GrainCallCodec.EncodeResult(result, descriptor.ResultType);
            http.Response.StatusCode = StatusCodes.Status200OK;
        }
        catch (NotOwnerException ex) when (ex.Grain == id)
        {
            http.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
            return;
        }
        catch (Exception ex)
        {
            http.RequestServices.GetRequiredService<ILogger<Catalog>>().LogDebug(ex, "Grain call {Grain}.{Method} failed", id, method);
            body = GrainCallCodec.EncodeError(ex);
            http.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }

        http.Response.ContentType = GrainCallCodec.ContentType;
        await http.Response.Body.WriteAsync(body, http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The partition count and the owner of every partition, as this silo last saw them.</summary>
    private static async Task Directory(HttpContext http)
    {
        if (!Authenticated(http))
        {
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        Silo silo = http.RequestServices.GetRequiredService<Silo>();
        // Web defaults, as the client reads it, whatever JSON options the host gives its own endpoints.
        await http.Response.WriteAsJsonAsync(new DirectoryDocument(silo.Options.Partitions, [.. silo.Directory.Owners.OfType<PartitionOwner>()]), JsonSerializerOptions.Web, http.RequestAborted).ConfigureAwait(false);
    }

    private static bool Authenticated(HttpContext http)
        => http.RequestServices.GetRequiredService<ClusterCredential>().Accepts(http.Request.Headers[ClusterCredential.Header]);
}
