using System.Reflection;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Metering.Gateway.Infrastructure;

/// <summary>A 207 Multi-Status answer with a JSON body (the framework has typed results for 200, 201 and 202 only).</summary>
public sealed class MultiStatus<T>(T value) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult<T>
{
    public T Value => value;

    public int? StatusCode => StatusCodes.Status207MultiStatus;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCodes.Status207MultiStatus;
        JsonOptions options = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value;
        return httpContext.Response.WriteAsJsonAsync(value, options.SerializerOptions, contentType: null, httpContext.RequestAborted);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
        => builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status207MultiStatus, typeof(T), ["application/json"]));
}
