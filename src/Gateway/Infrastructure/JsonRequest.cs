using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;

namespace Metering.Gateway.Infrastructure;

/// <summary>A handler's request body: bound by the framework (<see cref="BindAsync"/>), read by <see cref="JsonBody"/> into
/// <typeparamref name="T"/>, and described to the OpenAPI document as a JSON body of <typeparamref name="T"/>. A body that
/// is not valid holds the problem to answer, so the handler decides when to answer it (after authentication, which runs as
/// an endpoint filter).</summary>
public sealed class JsonRequest<T> : IEndpointParameterMetadataProvider where T : class, IJsonRequest<T>
{
    private readonly T? _value;
    private readonly ApiError? _error;

    private JsonRequest(T? value, ApiError? error)
    {
        _value = value;
        _error = error;
    }

    public bool TryGet([NotNullWhen(true)] out T? value, [NotNullWhen(false)] out ApiProblem? problem)
    {
        value = _value;
        problem = _error?.ToProblem();
        return value is not null;
    }

    public static async ValueTask<JsonRequest<T>?> BindAsync(HttpContext http, ParameterInfo parameter)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, http.RequestAborted);
        if (body is null)
        {
            return new JsonRequest<T>(null, error);
        }

        T? value = T.Read(body, http);
        return value is null ? new JsonRequest<T>(null, body.Error) : new JsonRequest<T>(value, null);
    }

    /// <summary>The body's type for the document. No content type is listed: routing would then refuse any other with a bare
    /// 415, where the body is read as JSON whatever its content type and a body that is not JSON answers a problem.</summary>
    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder)
        => builder.Metadata.Add(new AcceptsMetadata([], T.Schema));
}
